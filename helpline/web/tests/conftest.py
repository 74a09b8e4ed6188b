from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture
def upload() -> Any:
    """A small uploaded file: ``upload("name.txt", b"content")``."""

    def make(name: str = "log.txt", content: bytes = b"hello", content_type: str = "text/plain"):
        return SimpleUploadedFile(name, content, content_type=content_type)

    return make

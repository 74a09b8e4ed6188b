#!/usr/bin/env python
from helpline.cli import main

if __name__ == "__main__":
    main()

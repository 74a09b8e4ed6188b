import pytest

from helpline.csat import scale


@pytest.mark.parametrize(
    ("name", "rating", "valid"),
    [
        ("five", 1, True),
        ("five", 5, True),
        ("five", 0, False),
        ("five", 6, False),
        ("five", True, False),
        ("five", "3", False),
        ("five", 3.0, False),
        ("binary", 0, True),
        ("binary", 1, True),
        ("binary", 2, False),
    ],
)
def test_only_ratings_on_the_scale_are_valid(name, rating, valid):
    assert scale.is_valid(name, rating) is valid


@pytest.mark.parametrize(
    ("name", "rating", "threshold", "low"),
    [
        ("five", 2, 2, True),
        ("five", 3, 2, False),
        ("five", 3, 3, True),
        ("five", 1, 1, True),
        ("binary", 0, 2, True),
        ("binary", 1, 4, False),
    ],
)
def test_a_rating_is_low_at_or_below_the_threshold_or_bad(name, rating, threshold, low):
    assert scale.is_low(name, rating, threshold) is low


def test_ratings_are_listed_best_first():
    assert scale.ratings("five") == [5, 4, 3, 2, 1]
    assert scale.ratings("binary") == [1, 0]


@pytest.mark.parametrize(
    ("name", "rating", "satisfied"),
    [
        ("five", 4, True),
        ("five", 5, True),
        ("five", 3, False),
        ("binary", 1, True),
        ("binary", 0, False),
    ],
)
def test_four_five_and_good_are_satisfied(name, rating, satisfied):
    assert scale.is_satisfied(name, rating) is satisfied

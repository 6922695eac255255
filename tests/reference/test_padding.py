"""pad_image against torch.nn.functional.pad, for every padding_mode of torch.nn.Conv2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from oracles import TORCH_PAD

from convlessons.reference.padding import PADDING_MODES, pad_image


@pytest.mark.parametrize("padding_mode", PADDING_MODES)
def test_pad_image_equals_torch_pad(padding_mode):
    image = np.arange(12.0).reshape(3, 4)
    for padding in range(3 if padding_mode == "reflect" else 4):
        expected = F.pad(
            torch.tensor(image)[None, None], (padding,) * 4, mode=TORCH_PAD[padding_mode]
        )[0, 0].numpy()
        np.testing.assert_array_equal(pad_image(image, padding, padding_mode), expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: pad_image(np.ones((3, 4)), 3, "reflect"),
            "padding must be < 3 (the smallest input side) with padding_mode 'reflect'",
        ),
        (
            lambda: pad_image(np.ones((3, 4)), 4, "circular"),
            "padding must be <= 3 (the smallest input side) with padding_mode 'circular'",
        ),
        (lambda: pad_image(np.ones((3, 4)), -1), "padding must be an int >= 0"),
        (
            lambda: pad_image(np.ones((3, 4)), 1, "mirror"),
            "padding_mode must be one of",
        ),
        (lambda: pad_image(np.ones(3), 1), "image must have 2 dimensions"),
    ],
)
def test_errors_name_the_parameter_and_the_limit(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)

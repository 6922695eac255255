"""PyTorch oracles shared by the tests of a lesson model and of the widget that shows it."""

import numpy as np
import torch
import torch.nn.functional as F

TORCH_PAD = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


def torch_conv(
    image, kernel, stride=1, padding=0, dilation=1, padding_mode="zeros", mode="cross-correlation"
):
    """The oracle: F.pad (torch's padding modes) then F.conv2d, in float64."""
    x = torch.tensor(np.array(image, dtype=np.float64))[None, None]
    w = torch.tensor(np.array(kernel, dtype=np.float64))[None, None]
    if mode == "convolution":
        w = w.flip(-1, -2)
    x = F.pad(x, (padding,) * 4, mode=TORCH_PAD[padding_mode])
    return F.conv2d(x, w, stride=stride, dilation=dilation)[0, 0].numpy()


def torch_same(photo: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    planes = photo[None] if photo.ndim == 2 else np.moveaxis(photo, -1, 0)
    c = planes.shape[0]
    weight = torch.from_numpy(np.broadcast_to(kernel, (c, 1, *kernel.shape)).copy())
    out = F.conv2d(torch.from_numpy(planes.copy())[None], weight, padding="same", groups=c)
    out = out[0].numpy()
    return out[0] if photo.ndim == 2 else np.moveaxis(out, 0, -1)


def torch_transposed(x, w, stride, padding, output_padding):
    return F.conv_transpose2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],
                              stride=stride, padding=padding,
                              output_padding=output_padding)[0, 0].numpy()

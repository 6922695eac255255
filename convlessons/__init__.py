"""Interactive lessons on the convolution operation behind CNNs."""

import torch

from nblib.augment import random_crop_flip


def test_each_sample_is_a_shifted_window_of_its_padded_self():
    x = torch.arange(2 * 3 * 6 * 6, dtype=torch.float32).view(2, 3, 6, 6) + 1
    out = random_crop_flip(x, torch.Generator().manual_seed(0), padding=2, flip=False)
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for b in range(2):
        matches = [(dy, dx) for dy in range(5) for dx in range(5)
                   if torch.equal(out[b], padded[b, :, dy:dy + 6, dx:dx + 6])]
        assert len(matches) == 1


def test_flips_some_samples_and_is_reproducible():
    x = torch.randn(64, 1, 5, 5)
    a = random_crop_flip(x, torch.Generator().manual_seed(1), padding=0)
    b = random_crop_flip(x, torch.Generator().manual_seed(1), padding=0)
    assert torch.equal(a, b)
    flipped = [torch.equal(a[i], x[i].flip(-1)) for i in range(64)]
    kept = [torch.equal(a[i], x[i]) for i in range(64)]
    assert all(f or k for f, k in zip(flipped, kept)) and 10 < sum(flipped) < 54

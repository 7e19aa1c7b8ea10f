#!/usr/bin/env python3
"""One training step of a BenchmarkTrainStep network in PyTorch, for the ratio
of untied's speed to PyTorch's measured in the same run (make bench-pytorch).

The networks are untied's (core/model) ResNets, v1, post-activation:
- ResNet-18: basic blocks, ResNet-50: bottleneck blocks (1x1, 3x3 with the
  stride, 1x1 to 4x the width), in four groups of widths w, 2w, 4w, 8w at
  strides 1, 2, 2, 2, with a 1x1 projection (conv + BN) on the first block of
  every group, also at stride 1;
- the small-image stem (3x3 stride-1 conv + BN + ReLU, no max-pool) or the
  ImageNet one (7x7 stride-2 conv + BN + ReLU, 3x3 stride-2 max-pool);
- global average pool and a dense layer;
and BioTorch's LeNetMNIST (--arch lenet-mnist): conv 6, 16, 120 (5x5, with
biases, each followed by ReLU, the first two by a 2x2 max-pool), dense 84 and
the classes, a ReLU between the two dense layers.
SGD with Nesterov momentum 0.9 and weight decay 1e-4, backprop, random inputs.
--memory-format picks NCHW (contiguous) or channels_last for the network and
its input. Needs Debian's python3-torch; prints a benchmark line in Go's
format, named as bench/train_test.go names the same network.
"""
import argparse
import resource
import time

import torch
import torch.nn as nn


def conv_bn(cin, cout, k, stride):
    return [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]


class Block(nn.Module):
    """A v1 residual block: relu(branch(x) + shortcut(x))."""

    def __init__(self, branch, shortcut):
        super().__init__()
        self.branch = nn.Sequential(*branch)
        self.shortcut = nn.Sequential(*shortcut) if shortcut else None

    def forward(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        return torch.relu(self.branch(x) + s)


def basic(cin, width, stride, project):
    branch = conv_bn(cin, width, 3, stride) + [nn.ReLU()] + conv_bn(width, width, 3, 1)
    return Block(branch, conv_bn(cin, width, 1, stride) if project else None), width


def bottleneck(cin, width, stride, project):
    out = 4 * width
    branch = (conv_bn(cin, width, 1, 1) + [nn.ReLU()] + conv_bn(width, width, 3, stride) + [nn.ReLU()] +
              conv_bn(width, out, 1, 1))
    return Block(branch, conv_bn(cin, out, 1, stride) if project else None), out


ARCHS = {"resnet18": (basic, [2, 2, 2, 2]), "resnet50": (bottleneck, [3, 4, 6, 3])}


def resnet(arch, width, channels, classes, small_stem):
    block, counts = ARCHS[arch]
    if small_stem:
        layers = conv_bn(channels, width, 3, 1) + [nn.ReLU()]
    else:
        layers = conv_bn(channels, width, 7, 2) + [nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = width
    for g, n in enumerate(counts):
        for i in range(n):
            stride = 2 if (g > 0 and i == 0) else 1
            b, cin = block(cin, width << g, stride, i == 0)
            layers.append(b)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def lenet_mnist(channels, classes):
    return nn.Sequential(
        nn.Conv2d(channels, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, classes))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="resnet18", choices=sorted(ARCHS) + ["lenet-mnist"])
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--size", type=int, default=28)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--imagenet-stem", action="store_true", help="7x7/2 conv and max-pool instead of the small stem")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--memory-format", default="nchw", choices=["nchw", "channels_last"])
    p.add_argument("--label", default="", help="appended to impl= in the output line")
    p.add_argument("--rss", action="store_true",
                   help="also print peak resident memory after import torch and after the steps (MB)")
    a = p.parse_args()
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    fmt = torch.channels_last if a.memory_format == "channels_last" else torch.contiguous_format
    if a.arch == "lenet-mnist":
        net = lenet_mnist(a.channels, a.classes)
    else:
        net = resnet(a.arch, a.width, a.channels, a.classes, not a.imagenet_stem)
    net = net.to(memory_format=fmt)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.randn(a.batch, a.channels, a.size, a.size).contiguous(memory_format=fmt)
    y = torch.randint(0, a.classes, (a.batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(2):  # warm up: allocations and oneDNN primitives
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t0) / a.steps
    rss = ""
    if a.rss:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss = f" {peak_mb:.0f} peak-MB {base_mb:.0f} import-MB"
    print(f"BenchmarkTrainStep/model={a.arch}/width={a.width}/size={a.size}/batch={a.batch}/rule=bp/"
          f"impl=pytorch-{a.memory_format}{a.label}-{a.threads} {a.steps} {dt * 1e9:.0f} ns/op {a.batch / dt:.2f} img/s{rss}")


if __name__ == "__main__":
    main()

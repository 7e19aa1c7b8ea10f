#!/usr/bin/env python3
"""One training step of the BenchmarkTrainStep network in PyTorch, for the ratio
of untied's speed to PyTorch's measured in the same run (make bench-pytorch).

The network is untied's ResNet-18 with the small-image stem (core/model): 3x3
stride-1 stem conv + BN + ReLU, no max-pool; basic blocks of widths w, 2w, 4w, 8w
at strides 1, 2, 2, 2; a 1x1 projection (conv + BN) on the first block of every
group, also at stride 1; global average pool; a dense layer to 10 classes. Input
128 x 1 x 28 x 28, SGD with Nesterov momentum 0.9 and weight decay 1e-4, backprop.
Needs Debian's python3-torch; prints a benchmark line in Go's format.
"""
import argparse
import time

import torch
import torch.nn as nn


class Basic(nn.Module):
    def __init__(self, cin, cout, stride, project):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.proj = None
        if project:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.proj is None else self.proj(x)))


def resnet18(width, classes=10):
    layers = [nn.Conv2d(1, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    cin = width
    for g in range(4):
        cout = width << g
        for i in range(2):
            stride = 2 if (g > 0 and i == 0) else 1
            layers.append(Basic(cin, cout, stride, i == 0))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    a = p.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    net = resnet18(a.width)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.randn(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))
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
    print(f"BenchmarkTrainStep/model=resnet18/width={a.width}/rule=bp/impl=pytorch-{a.threads} "
          f"{a.steps} {dt * 1e9:.0f} ns/op {a.batch / dt:.2f} img/s")


if __name__ == "__main__":
    main()

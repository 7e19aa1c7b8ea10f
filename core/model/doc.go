// Package model builds the networks of the experiments from core/nn modules:
// ImageNet ResNets v1 (18, 34, 50, 101, 152) and v2 (pre-activation 50, 101,
// 152) as the paper's reference code builds them, the CIFAR ResNets 20 and 56
// of He et al. (2016, §4.2), and LeNet-5.
//
// Every dense and conv layer holds forward weights W and feedback weights B,
// both He-initialised and drawn independently from one PCG stream seeded by
// Config.Seed, so equal configs give identical networks.
//
// The ImageNet ResNets take a width multiplier (Config.Width, the channels of
// the first residual group) and a small-image stem (Config.SmallStem: a 3×3
// stride-1 conv and no max-pool), so the same topology trains on 28×28 or
// 32×32 inputs. Their v1 form has a projection shortcut (1×1 conv + BN) on
// the first block of every group, also where the shape does not change, and
// the last BN of every residual branch starts with γ = 0. The v2 form puts
// BN+ReLU before each block (the projection reads its output), has no BN
// after the stem conv, no BN on the projection, and ends with BN+ReLU before
// the pool.
//
// Layers are named after their place ("stem.conv", "layer2.0.conv1",
// "layer2.0.proj.bn", "fc"), so parameter names (layer name + ".W", ".B",
// ".gamma", ".beta", ".bias") are unique and stable across runs; checkpoints
// key on them.
package model

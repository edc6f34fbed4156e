"""What DescribeInstanceTypes says about accelerators: the blocks that mean an instance type carries one (GPU,
AWS Neuron, inference accelerator, FPGA, media accelerator). Fractional GPUs (g6f) report GpuInfo with a count
of 0: the presence of a block decides, not its count."""

from __future__ import annotations

__all__ = ["ACCELERATOR_INFO"]

ACCELERATOR_INFO = ("GpuInfo", "NeuronInfo", "InferenceAcceleratorInfo", "FpgaInfo", "MediaAcceleratorInfo")

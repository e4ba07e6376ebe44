package dev.kiln.engine.cuda;

/**
 * A device's plan for one cuDNN convolution pass ({@link CudnnConvolution}): the id its launches
 * name, and the workspace bytes its algorithm needs, which the program reserves in its workspace.
 *
 * @param id the plan's id on its runtime
 * @param workspaceBytes the algorithm's workspace
 */
public record CudnnPlan(int id, long workspaceBytes) {}

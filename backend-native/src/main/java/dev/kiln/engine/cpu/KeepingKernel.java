package dev.kiln.engine.cpu;

/**
 * A kernel that keeps work derived from operands which stay the same from run to run, as a scan's
 * constants do across its steps, until it is told they changed.
 */
public interface KeepingKernel extends Kernel {
  /** The kept operands may differ at the next run: what was derived from them is recomputed. */
  void operandsChanged();
}

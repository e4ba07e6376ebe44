package dev.kiln.spi.backend;

/**
 * A place where a backend keeps tensors and runs executables.
 *
 * @param backend the backend's name
 * @param kind {@code cpu} or {@code cuda}
 * @param index the device's number among those of its kind
 */
public record Device(String backend, String kind, int index) {
  /** Printed as {@code native:cpu:0}. */
  @Override
  public String toString() {
    return backend + ":" + kind + ":" + index;
  }
}

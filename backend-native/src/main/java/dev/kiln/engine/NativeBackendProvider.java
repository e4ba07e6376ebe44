package dev.kiln.engine;

import dev.kiln.spi.backend.Availability;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.BackendProvider;

/** The Kiln engine, {@code native}: the default backend, highest priority, always available. */
public final class NativeBackendProvider implements BackendProvider {
  /** The backend's name. */
  public static final String NAME = "native";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 100;
  }

  @Override
  public Availability availability() {
    // The CPU device needs nothing beyond the JDK; without jdk.incubator.vector it runs the
    // scalar kernels and says so once when opened.
    return Availability.yes();
  }

  @Override
  public Backend open(BackendOptions options) {
    return new NativeBackend(options);
  }
}

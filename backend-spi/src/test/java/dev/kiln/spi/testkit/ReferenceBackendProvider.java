package dev.kiln.spi.testkit;

import dev.kiln.spi.backend.Availability;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.BackendProvider;

/** Makes the {@link ReferenceBackend} selectable by name; the lowest priority of all. */
public final class ReferenceBackendProvider implements BackendProvider {
  @Override
  public String name() {
    return ReferenceBackend.NAME;
  }

  @Override
  public int priority() {
    return 0;
  }

  @Override
  public Availability availability() {
    return Availability.yes();
  }

  @Override
  public Backend open(BackendOptions options) {
    return new ReferenceBackend();
  }
}

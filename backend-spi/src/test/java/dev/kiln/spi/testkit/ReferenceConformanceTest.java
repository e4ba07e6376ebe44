package dev.kiln.spi.testkit;

import dev.kiln.spi.backend.Backend;

/** The reference backend passes its own kit: the kit's cases are consistent and runnable. */
class ReferenceConformanceTest extends ConformanceSuite {
  @Override
  protected Backend openBackend() {
    return new ReferenceBackend();
  }
}

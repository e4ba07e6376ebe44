package dev.kiln.nd4j;

import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import dev.kiln.spi.testkit.ConformanceSuite;

/** The whole conformance kit on ND4J; what it skips, and why, is in the skip file. */
class Nd4jConformanceTest extends ConformanceSuite {
  @Override
  protected Backend openBackend() {
    return Backends.open("nd4j");
  }
}

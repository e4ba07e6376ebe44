package dev.kiln.engine;

import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import dev.kiln.spi.testkit.ConformanceSuite;

/**
 * The whole conformance kit on the engine. The build runs it three times: at the machine's
 * preferred vector width, at 256 bits, and with the scalar twins only.
 */
class NativeConformanceTest extends ConformanceSuite {
  @Override
  protected Backend openBackend() {
    return Backends.open("native");
  }
}

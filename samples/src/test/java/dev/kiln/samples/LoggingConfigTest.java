package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The samples' shipped Logback configuration: INFO and up, no DEBUG from the engine. */
class LoggingConfigTest {
  @Test
  void engineDebugIsOffAndInfoIsOn() {
    assertTrue(
        LoggingConfigTest.class.getResource("/logback.xml") != null, "samples ship logback.xml");
    Logger engine = LoggerFactory.getLogger("dev.kiln.engine.cpu.Simd");
    assertFalse(engine.isDebugEnabled(), "DEBUG from the engine is printed");
    assertTrue(engine.isInfoEnabled(), "INFO is not printed");
  }
}

package dev.kiln.spi.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpecialFunctionsTest {
  @Test
  void erfMatchesPublishedValues() {
    // Abramowitz & Stegun, table 7.1, and erf(0.1), erf(4) from the same source.
    assertEquals(0.1124629160182849, SpecialFunctions.erf(0.1), 1e-15);
    assertEquals(0.5204998778130465, SpecialFunctions.erf(0.5), 1e-15);
    assertEquals(0.8427007929497149, SpecialFunctions.erf(1), 1e-15);
    assertEquals(0.9953222650189527, SpecialFunctions.erf(2), 1e-15);
    assertEquals(0.9999779095030014, SpecialFunctions.erf(3), 1e-15);
    assertEquals(0.9999999845827421, SpecialFunctions.erf(4), 1e-15);
    assertEquals(-0.8427007929497149, SpecialFunctions.erf(-1), 1e-15);
    assertEquals(0.0, SpecialFunctions.erf(0));
    assertEquals(1.0, SpecialFunctions.erf(40));
    assertTrue(Double.isNaN(SpecialFunctions.erf(Double.NaN)));
  }

  @Test
  void erfIsContinuousWhereTheMethodChanges() {
    double below = SpecialFunctions.erf(Math.nextDown(2.5));
    double above = SpecialFunctions.erf(2.5);
    assertEquals(below, above, 1e-15);
    assertEquals(0.9995930479825550, above, 1e-15);
  }
}

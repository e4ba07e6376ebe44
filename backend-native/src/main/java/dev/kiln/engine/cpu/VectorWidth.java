package dev.kiln.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float species every vector kernel uses. Loaded only when the incubator module is present; the
 * species is a static final so the JIT sees a constant and emits SIMD instructions.
 */
final class VectorWidth {
  static final VectorSpecies<Float> F32 = choose();

  private VectorWidth() {}

  private static VectorSpecies<Float> choose() {
    String bits = System.getProperty("kiln.native.vectorBits");
    if (bits == null) {
      return FloatVector.SPECIES_PREFERRED;
    }
    int want = Integer.parseInt(bits);
    int max = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    return VectorSpecies.of(float.class, VectorShape.forBitSize(Math.min(want, max)));
  }

  static int bits() {
    return F32.vectorBitSize();
  }
}

package dev.kiln.engine.cpu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the vector kernels run, and at what width. Read once at class initialization, because the
 * Vector API compiles to SIMD instructions only when the species is a constant:
 *
 * <ul>
 *   <li>{@code -Dkiln.native.simd=false} forces the scalar twins;
 *   <li>{@code -Dkiln.native.vectorBits=128|256|512} narrows the vectors (default: the machine's
 *       preferred width);
 *   <li>without the {@code jdk.incubator.vector} module (the JVM flag {@code --add-modules
 *       jdk.incubator.vector}) the scalar twins run and one log line says how to enable SIMD.
 * </ul>
 */
public final class Simd {
  private static final Logger LOG = LoggerFactory.getLogger(Simd.class);

  /** True when the vector kernels are in use. */
  public static final boolean ENABLED;

  /** The configured width in bits, 0 when disabled. */
  public static final int BITS;

  private static final String WHY;

  static {
    boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    boolean wanted = !"false".equalsIgnoreCase(System.getProperty("kiln.native.simd", "true"));
    ENABLED = present && wanted;
    BITS = ENABLED ? VectorWidth.bits() : 0;
    WHY =
        !present
            ? "the jdk.incubator.vector module is not loaded; start the JVM with --add-modules"
                + " jdk.incubator.vector for SIMD kernels"
            : !wanted ? "disabled by -Dkiln.native.simd=false" : "";
  }

  private Simd() {}

  private static volatile boolean logged;

  /** Logs once how the kernels run. */
  public static void logOnce() {
    if (!logged) {
      logged = true;
      if (ENABLED) {
        LOG.debug("Kiln engine: {}-bit vector kernels", BITS);
      } else {
        LOG.warn("Kiln engine runs scalar kernels only: {}", WHY);
      }
    }
  }
}

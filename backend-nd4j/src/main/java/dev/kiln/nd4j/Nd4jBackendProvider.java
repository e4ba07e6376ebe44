package dev.kiln.nd4j;

import dev.kiln.spi.backend.Availability;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.BackendProvider;
import java.util.Locale;

/**
 * ND4J as a Kiln backend, {@code nd4j}: lower priority than {@code native}, so it runs when
 * selected ({@code -Dkiln.backend=nd4j} or {@code KILN_BACKEND=nd4j}). Discovery loads nothing
 * native; {@link #open} does, and a failure there names what is missing.
 */
public final class Nd4jBackendProvider implements BackendProvider {
  /** The backend's name. */
  public static final String NAME = "nd4j";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 50;
  }

  @Override
  public Availability availability() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return Availability.no(
          "Kiln ships ND4J's linux-x86_64 natives only; this is "
              + os
              + "/"
              + arch
              + ". Add org.nd4j:nd4j-native:1.0.0-M2.1 with your platform's classifier.");
    }
    ClassLoader cl = Nd4jBackendProvider.class.getClassLoader();
    try {
      Class.forName("org.nd4j.linalg.factory.Nd4j", false, cl);
    } catch (ClassNotFoundException e) {
      return Availability.no("org.nd4j:nd4j-api is not on the class path");
    }
    try {
      Class.forName("org.nd4j.linalg.cpu.nativecpu.CpuBackend", false, cl);
    } catch (ClassNotFoundException e) {
      return Availability.no("org.nd4j:nd4j-native (CPU backend) is not on the class path");
    }
    if (cl.getResource("org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libnd4jcpu.so")
        == null) {
      return Availability.no(
          "the linux-x86_64 natives of nd4j-native are missing: add"
              + " org.nd4j:nd4j-native:1.0.0-M2.1:linux-x86_64");
    }
    return Availability.yes();
  }

  @Override
  public Backend open(BackendOptions options) {
    return new Nd4jBackend();
  }
}

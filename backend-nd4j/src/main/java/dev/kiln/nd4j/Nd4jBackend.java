package dev.kiln.nd4j;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.backend.ExecutableSupport;
import dev.kiln.spi.backend.Variable;
import dev.kiln.spi.ir.Graph;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The nd4j backend: one CPU device; variables live as INDArrays across runs. */
final class Nd4jBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(Nd4jBackend.class);
  private final Device cpu = new Device(Nd4jBackendProvider.NAME, "cpu", 0);
  private final Map<String, Nd4jVariable> variables = new ConcurrentHashMap<>();

  Nd4jBackend() {
    try {
      Nd4j.getBackend();
    } catch (Throwable e) {
      throw new BackendException(
          "nd4j: ND4J's native CPU backend failed to load ("
              + e
              + "). Check that"
              + " org.nd4j:nd4j-native:1.0.0-M2.1:linux-x86_64 is on the class path and that"
              + " the JVM runs with --enable-native-access=ALL-UNNAMED.");
    }
    warnIfBlasMisdetected();
  }

  /**
   * ND4J's bundled OpenBLAS misdetects some virtualised CPUs (an AVX-512 Xeon as "Prescott"), which
   * makes its sgemm several times slower; OPENBLAS_CORETYPE, set before the JVM starts, fixes it.
   */
  private static void warnIfBlasMisdetected() {
    if (System.getenv("OPENBLAS_CORETYPE") != null) {
      return;
    }
    try {
      String cpuinfo = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
      if (cpuinfo.contains(" avx2 ")) {
        LOG.warn(
            "nd4j: OPENBLAS_CORETYPE is not set; ND4J's OpenBLAS may misdetect this CPU and run"
                + " its sgemm several times slower. Start the JVM with OPENBLAS_CORETYPE=HASWELL"
                + " (this CPU has AVX2).");
      }
    } catch (java.io.IOException | RuntimeException e) {
      // Not Linux, or no /proc: nothing to say.
    }
  }

  @Override
  public String name() {
    return Nd4jBackendProvider.NAME;
  }

  @Override
  public List<Device> devices() {
    return List.of(cpu);
  }

  @Override
  public DeviceTensor upload(HostTensor tensor, Device device) {
    if (!device.equals(cpu)) {
      throw new BackendException("nd4j: device " + device + " is not this backend's (" + cpu + ")");
    }
    return new Nd4jTensor(tensor.type(), cpu, Nd4jArrays.fromHost(tensor));
  }

  @Override
  public HostTensor download(DeviceTensor tensor) {
    if (!(tensor instanceof Nd4jTensor t)) {
      throw new BackendException("nd4j: cannot download a tensor of another backend: " + tensor);
    }
    return Nd4jArrays.toHost(t.array(), t.type());
  }

  @Override
  public Executable compile(Graph graph, CompileOptions options) {
    ExecutableSupport.checkCompilable(name(), graph);
    return new Nd4jExecutable(this, graph);
  }

  @Override
  public Variable createVariable(String id, HostTensor initial) {
    Nd4jVariable v = new Nd4jVariable(id, initial.type(), Nd4jArrays.fromHost(initial));
    variables.put(id, v);
    return v;
  }

  @Override
  public Optional<Variable> variable(String id) {
    return Optional.ofNullable(variables.get(id));
  }

  Nd4jVariable nd4jVariable(String id) {
    Nd4jVariable v = variables.get(id);
    if (v == null) {
      throw new BackendException(
          "nd4j: the graph reads variable '" + id + "', which does not exist");
    }
    return v;
  }

  @Override
  public void deleteVariable(String id) {
    Nd4jVariable v = variables.remove(id);
    if (v != null) {
      v.free();
    }
  }

  @Override
  public void close() {
    variables.clear();
  }
}

package dev.kiln.engine;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The Kiln engine's devices, {@code cpu:0} and {@code cuda:N}, and the choice of the default one:
 * the backend option {@code device}, else {@code -Dkiln.device}, else {@code KILN_DEVICE} ({@code
 * cpu}, {@code cuda}, {@code cuda:N}), else {@code cuda:0} when a GPU is usable, else the CPU. CUDA
 * is probed lazily (on the first listing, or when a CUDA device is asked for) and the probe never
 * fails: without a GPU or driver the reason is kept and the CPU is used.
 */
final class NativeDevices {
  /**
   * Whether programs can run on CUDA devices. The CUDA executor ({@code CudaExecutable}) exists and
   * passes the conformance kit on an emulated device, but has not yet run on a GPU; until it has,
   * CUDA devices are listed with their details, the default stays the CPU unless {@code
   * kiln.device} asks for CUDA, and compiling for (or uploading to) a CUDA device fails with "not
   * yet implemented". When true, the default device is {@code cuda:0} when a GPU is usable. The GPU
   * tests ({@code CudaConformanceTest}) run the executor whatever this says, and {@link
   * #EXECUTOR_PROPERTY} switches it on for a user who wants to try it.
   */
  static final boolean CUDA_EXECUTOR_READY = false;

  /**
   * The system property ({@code kiln.cuda.executor=true}) that switches the CUDA executor on before
   * {@link #CUDA_EXECUTOR_READY}: for the GPU benchmark and for running the api's tests on a GPU.
   */
  static final String EXECUTOR_PROPERTY = "kiln.cuda.executor";

  /** The environment variable with the meaning of {@link #EXECUTOR_PROPERTY}. */
  static final String EXECUTOR_ENVIRONMENT = "KILN_CUDA_EXECUTOR";

  /** The system property that picks the default device. */
  static final String PROPERTY = "kiln.device";

  /** The environment variable that picks the default device. */
  static final String ENVIRONMENT = "KILN_DEVICE";

  /** The backend option that picks the default device. */
  static final String OPTION = "device";

  static final String CPU = "cpu";
  static final String CUDA = "cuda";

  /**
   * A parsed device request.
   *
   * @param kind {@code cpu} or {@code cuda}
   * @param index the device number, or -1 for "the first" ({@code cuda} alone)
   */
  record Request(String kind, int index) {}

  private final Device cpu = new Device(NativeBackendProvider.NAME, CPU, 0);
  private final Supplier<CudaDevices.Status> probe;
  private final String requested;
  private final String source;
  private final boolean executor;
  private CudaDevices.Status cuda;
  private Device chosen;

  /**
   * @param probe the CUDA probe, called at most once
   * @param requested the requested device, or null for the automatic choice
   * @param source where the request came from, for messages ({@code -Dkiln.device})
   * @throws BackendException if the request is malformed or asks for a device that is not there
   */
  NativeDevices(Supplier<CudaDevices.Status> probe, String requested, String source) {
    this(
        probe,
        requested,
        source,
        executorSwitch(System.getProperty(EXECUTOR_PROPERTY), System.getenv(EXECUTOR_ENVIRONMENT)));
  }

  /**
   * @param executor whether the CUDA executor is switched on (it is anyway once {@link
   *     #CUDA_EXECUTOR_READY})
   */
  NativeDevices(
      Supplier<CudaDevices.Status> probe, String requested, String source, boolean executor) {
    this.probe = probe;
    this.requested = requested == null || requested.isBlank() ? null : requested.strip();
    this.source = source;
    this.executor = CUDA_EXECUTOR_READY || executor;
    if (this.requested != null) {
      chosen = resolve(parse(this.requested, source));
    } else if (!this.executor) {
      chosen = cpu;
    }
  }

  /**
   * Reads the executor switch: the property's value, else the environment's; {@code true} or {@code
   * false}, false when neither is set.
   *
   * @throws BackendException naming the setting and its value when it is neither
   */
  static boolean executorSwitch(String property, String environment) {
    String source = property != null ? "-D" + EXECUTOR_PROPERTY : EXECUTOR_ENVIRONMENT;
    String v = property != null ? property : environment;
    if (v == null || v.isBlank() || v.strip().equalsIgnoreCase("false")) {
      return false;
    }
    if (v.strip().equalsIgnoreCase("true")) {
      return true;
    }
    throw new BackendException(source + "=" + v + ": expected true or false");
  }

  /** Whether programs may run on CUDA devices ({@link #CUDA_EXECUTOR_READY} or the switch). */
  boolean executorEnabled() {
    return executor;
  }

  /** The request from the backend options, the system property or the environment. */
  static NativeDevices fromSettings(
      Supplier<CudaDevices.Status> probe, String option, String property, String environment) {
    if (option != null && !option.isBlank()) {
      return new NativeDevices(probe, option, "the backend option " + OPTION);
    }
    if (property != null && !property.isBlank()) {
      return new NativeDevices(probe, property, "-D" + PROPERTY);
    }
    return new NativeDevices(probe, environment, ENVIRONMENT);
  }

  /**
   * Parses {@code cpu}, {@code cpu:0}, {@code cuda}, {@code cuda:N}, optionally prefixed with
   * {@code native:}.
   *
   * @throws BackendException naming the value, where it came from and what is accepted
   */
  static Request parse(String value, String source) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    if (v.startsWith(NativeBackendProvider.NAME + ":")) {
      v = v.substring(NativeBackendProvider.NAME.length() + 1);
    }
    String kind = v;
    String number = null;
    int colon = v.indexOf(':');
    if (colon >= 0) {
      kind = v.substring(0, colon);
      number = v.substring(colon + 1);
    }
    if (!kind.equals(CPU) && !kind.equals(CUDA)) {
      throw new BackendException(
          source
              + "="
              + value
              + " is not a device of the Kiln engine; expected cpu, cuda or cuda:N (N = 0, 1, ...)");
    }
    if (number == null) {
      return new Request(kind, kind.equals(CPU) ? 0 : -1);
    }
    int index;
    try {
      index = Integer.parseInt(number);
    } catch (NumberFormatException e) {
      index = -1;
    }
    if (index < 0 || !number.chars().allMatch(Character::isDigit)) {
      throw new BackendException(
          source
              + "="
              + value
              + ": '"
              + number
              + "' is not a device number; expected "
              + kind
              + ":N with N = 0, 1, ...");
    }
    if (kind.equals(CPU) && index != 0) {
      throw new BackendException(
          source + "=" + value + ": the Kiln engine has one CPU device, cpu:0");
    }
    return new Request(kind, index);
  }

  private Device resolve(Request r) {
    if (r.kind().equals(CPU)) {
      return cpu;
    }
    CudaDevices.Status s = cuda();
    String what = source + "=" + requested;
    if (!s.usable()) {
      throw new BackendException(
          what + " asks for a CUDA device, but none is usable: " + s.reason());
    }
    int index = Math.max(0, r.index());
    if (index >= s.devices().size()) {
      throw new BackendException(
          what
              + ": this machine has "
              + s.devices().size()
              + " CUDA device"
              + (s.devices().size() == 1 ? "" : "s")
              + " (cuda:0"
              + (s.devices().size() > 1 ? " to cuda:" + (s.devices().size() - 1) : "")
              + ")");
    }
    return new Device(NativeBackendProvider.NAME, CUDA, index);
  }

  /** The CUDA probe's result, probing on first use. */
  synchronized CudaDevices.Status cuda() {
    if (cuda == null) {
      cuda = probe.get();
    }
    return cuda;
  }

  /** The default device. */
  synchronized Device defaultDevice() {
    if (chosen == null) {
      CudaDevices.Status s = cuda();
      chosen = s.usable() ? new Device(NativeBackendProvider.NAME, CUDA, 0) : cpu;
    }
    return chosen;
  }

  /** Every device, the default first. */
  List<Device> devices() {
    Device first = defaultDevice();
    List<Device> all = new ArrayList<>();
    all.add(first);
    if (!first.equals(cpu)) {
      all.add(cpu);
    }
    for (CudaDevices.Info i : cuda().devices()) {
      Device d = new Device(NativeBackendProvider.NAME, CUDA, i.index());
      if (!d.equals(first)) {
        all.add(d);
      }
    }
    return List.copyOf(all);
  }

  boolean isCpu(Device d) {
    return cpu.equals(d);
  }

  /** Whether {@code d} is one of this machine's CUDA devices. */
  boolean isCuda(Device d) {
    return d.backend().equals(NativeBackendProvider.NAME)
        && d.kind().equals(CUDA)
        && d.index() >= 0
        && d.index() < cuda().devices().size();
  }

  /** A device and what it is, saying when it is listed only. */
  String describe(Device d) {
    return isCuda(d) && !executor
        ? details(d)
            + " (listed only: running programs on it is not yet implemented; -D"
            + EXECUTOR_PROPERTY
            + "=true tries it)"
        : details(d);
  }

  private String details(Device d) {
    return isCuda(d) ? d + " " + cuda().devices().get(d.index()).describe() : d.toString();
  }

  /** The CUDA status line. */
  List<String> notes() {
    return List.of(cuda().summary());
  }

  /** The error for work on a CUDA device while the executor does not exist. */
  BackendException notYetImplemented(Device d, String what) {
    return new BackendException(
        "native: "
            + what
            + " on "
            + details(d)
            + " is not yet implemented: the Kiln engine's CUDA executor is not enabled until it has passed"
            + " the conformance kit on a GPU; use"
            + " -Dkiln.device=cpu (or KILN_DEVICE=cpu) meanwhile, or -D"
            + EXECUTOR_PROPERTY
            + "=true to try it");
  }
}

package dev.kiln.benchmarks;

import dev.kiln.engine.cuda.CudaDevices;
import dev.kiln.spi.backend.Backend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The GPU benchmark of issue 15, on one GPU: GEMM throughput of Kiln's path and of Kiln's own
 * kernels as fractions of cuBLAS on the same device ({@link GpuGemm}; targets 0.80 and 0.50), and
 * ResNet-50 training images/s with peak device memory for Kiln and for PyTorch eager in the same
 * run ({@link GpuTraining}; target: Kiln at least PyTorch). Partial results are printed as they
 * come; at the end a table is printed and, when {@code --out} or the environment's {@code OUT}
 * names a directory, written there as {@code gpu-benchmark.txt} and {@code gpu-benchmark.json}.
 * Where no GPU is usable it prints the CUDA probe's reason and exits 0 at once.
 *
 * <p>The CUDA executor is switched on ({@code kiln.cuda.executor=true}) for this process and its
 * children. A time limit ({@code --time-limit}, default 240 s) bounds the whole run: the GEMMs get
 * a share, each peer's training a child process with its own limit, and a watchdog writes what was
 * measured and stops the run (exit 3) if it is still going at the limit.
 *
 * <p>Usage: {@code GpuBenchmark [--parts gemm,train] [--sizes 4096,8192] [--dtypes f32,bf16]
 * [--gemm-tf32 true] [--gemm-seconds 0.3] [--device cuda|cpu|emulated] [--image 224] [--batch 64]
 * [--classes 1000] [--warmup 3] [--steps 30] [--train-seconds 20] [--peers kiln,pytorch]
 * [--precision float32|tf32|mixed_bfloat16] [--python PATH] [--torch-script PATH] [--memory-format
 * channels_last|contiguous] [--time-limit 240] [--out DIR]}. {@code --device cpu} trains on the CPU
 * (no GEMM part; for checking the benchmark without a GPU, with e.g. {@code --image 32 --batch 2
 * --steps 2}); {@code emulated} runs on the engine's emulated GPU and needs backend-native's test
 * classes on the class path. Exit status: 0 when every part ran (whether or not it met its target)
 * or there is no GPU, 1 when a part failed, 2 for bad arguments, 3 when the time limit stopped the
 * run.
 */
public final class GpuBenchmark {
  private GpuBenchmark() {}

  private static volatile boolean failed;

  /**
   * The benchmark's settings.
   *
   * @param parts {@code gemm}, {@code train}
   * @param sizes the GEMM sizes
   * @param dtypes the GEMM dtypes, {@code f32} and {@code bf16}
   * @param gemmTf32 whether float32 GEMMs are measured with TF32 as well
   * @param gemmSeconds about how long one timed round of products lasts
   * @param device {@code cuda}, {@code cpu} or {@code emulated}
   * @param image the training images' height and width
   * @param batch the training batch
   * @param classes the classifier's classes
   * @param warmup untimed training steps first
   * @param steps the most timed training steps
   * @param trainSeconds timed training stops after this many seconds (at least two steps)
   * @param peers {@code kiln}, {@code pytorch}
   * @param precision {@code float32}, {@code tf32} or {@code mixed_bfloat16}, for both peers
   * @param python the python to run PyTorch with, or null to look
   * @param torchScript the PyTorch peer's script, or null to look
   * @param memoryFormat PyTorch's layout, {@code channels_last} or {@code contiguous}
   * @param timeLimit seconds for the whole run
   * @param out where to write the report, or null
   * @param worker whether this process is the Kiln training child
   */
  record Options(
      Set<String> parts,
      List<Integer> sizes,
      List<String> dtypes,
      boolean gemmTf32,
      double gemmSeconds,
      String device,
      int image,
      int batch,
      int classes,
      int warmup,
      int steps,
      double trainSeconds,
      List<String> peers,
      String precision,
      String python,
      Path torchScript,
      String memoryFormat,
      double timeLimit,
      Path out,
      boolean worker) {

    /** The GEMMs' share of the time limit: all but the report's few seconds when they run alone. */
    double gemmBudgetSeconds() {
      return parts.contains("train") ? timeLimit * 0.3 : Math.max(timeLimit * 0.9, timeLimit - 10);
    }

    /**
     * Parses the arguments; {@code outEnvironment} is the value of {@code OUT}, the default for
     * {@code --out}.
     *
     * @throws IllegalArgumentException naming the argument and what it accepts
     */
    static Options parse(String[] args, String outEnvironment) {
      Set<String> parts = new LinkedHashSet<>(List.of("gemm", "train"));
      List<Integer> sizes = List.of(4096, 8192);
      List<String> dtypes = List.of("f32", "bf16");
      boolean gemmTf32 = true;
      double gemmSeconds = 0.3;
      String device = "cuda";
      int image = 224;
      int batch = 64;
      int classes = 1000;
      int warmup = 3;
      int steps = 30;
      double trainSeconds = 20;
      List<String> peers = List.of("kiln", "pytorch");
      String precision = "float32";
      String python = null;
      Path torchScript = null;
      String memoryFormat = "channels_last";
      double timeLimit = 240;
      Path out =
          outEnvironment == null || outEnvironment.isBlank() ? null : Path.of(outEnvironment);
      boolean worker = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--worker-train")) {
          worker = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value; see GpuBenchmark's Javadoc");
        }
        String v = args[++i];
        switch (a) {
          case "--parts" -> parts = new LinkedHashSet<>(oneOf(a, v, List.of("gemm", "train")));
          case "--sizes" -> sizes = positives(a, v);
          case "--dtypes" -> dtypes = oneOf(a, v, List.of("f32", "bf16"));
          case "--gemm-tf32" -> gemmTf32 = bool(a, v);
          case "--gemm-seconds" -> gemmSeconds = positive(a, v);
          case "--device" -> device = oneOf(a, v, List.of("cuda", "cpu", "emulated")).get(0);
          case "--image" -> image = positives(a, v).get(0);
          case "--batch" -> batch = positives(a, v).get(0);
          case "--classes" -> classes = positives(a, v).get(0);
          case "--warmup" -> warmup = integer(a, v, 0);
          case "--steps" -> steps = positives(a, v).get(0);
          case "--train-seconds" -> trainSeconds = positive(a, v);
          case "--peers" -> peers = oneOf(a, v, List.of("kiln", "pytorch"));
          case "--precision" ->
              precision = oneOf(a, v, List.of("float32", "tf32", "mixed_bfloat16")).get(0);
          case "--python" -> python = v;
          case "--torch-script" -> torchScript = Path.of(v);
          case "--memory-format" ->
              memoryFormat = oneOf(a, v, List.of("channels_last", "contiguous")).get(0);
          case "--time-limit" -> timeLimit = positive(a, v);
          case "--out" -> out = Path.of(v);
          default ->
              throw new IllegalArgumentException(
                  "unknown argument " + a + "; see GpuBenchmark's Javadoc for the options");
        }
      }
      if (image < 32) {
        throw new IllegalArgumentException(
            "--image " + image + ": ResNet-50 needs images of at least 32x32");
      }
      return new Options(
          parts,
          sizes,
          dtypes,
          gemmTf32,
          gemmSeconds,
          device,
          image,
          batch,
          classes,
          warmup,
          steps,
          trainSeconds,
          peers,
          precision,
          python,
          torchScript,
          memoryFormat,
          timeLimit,
          out,
          worker);
    }

    private static List<String> oneOf(String arg, String v, List<String> allowed) {
      List<String> out = new ArrayList<>();
      for (String s : v.split(",")) {
        String t = s.strip();
        if (!allowed.contains(t)) {
          throw new IllegalArgumentException(
              arg + " " + v + ": '" + t + "' is not one of " + String.join(", ", allowed));
        }
        if (!out.contains(t)) {
          out.add(t);
        }
      }
      return List.copyOf(out);
    }

    private static List<Integer> positives(String arg, String v) {
      List<Integer> out = new ArrayList<>();
      for (String s : v.split(",")) {
        out.add(integer(arg, s.strip(), 1));
      }
      return List.copyOf(out);
    }

    private static int integer(String arg, String v, int least) {
      int n;
      try {
        n = Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(arg + " " + v + ": expected a whole number");
      }
      if (n < least) {
        throw new IllegalArgumentException(arg + " " + v + ": expected at least " + least);
      }
      return n;
    }

    private static double positive(String arg, String v) {
      double d;
      try {
        d = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(arg + " " + v + ": expected a number of seconds");
      }
      if (!(d > 0) || Double.isInfinite(d)) {
        throw new IllegalArgumentException(arg + " " + v + ": expected a positive number");
      }
      return d;
    }

    private static boolean bool(String arg, String v) {
      if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(v);
      }
      throw new IllegalArgumentException(arg + " " + v + ": expected true or false");
    }
  }

  /** A point in time, and shares of what is left before it. */
  record Deadline(long nanos) {
    static Deadline in(double seconds) {
      return new Deadline(System.nanoTime() + (long) (seconds * 1e9));
    }

    double remaining() {
      return (nanos - System.nanoTime()) / 1e9;
    }

    boolean expired() {
      return remaining() <= 0;
    }

    /** The earlier of this and {@code seconds} from now. */
    Deadline sub(double seconds) {
      return new Deadline(Math.min(nanos, System.nanoTime() + (long) (seconds * 1e9)));
    }
  }

  public static void main(String[] args) {
    int status = run(args, System.getenv("OUT"));
    System.out.flush();
    if (status != 0) {
      System.exit(status);
    }
  }

  /** Runs the benchmark (or, with {@code --worker-train}, the Kiln training child); the status. */
  static int run(String[] args, String outEnvironment) {
    Options o;
    try {
      o = Options.parse(args, outEnvironment);
    } catch (IllegalArgumentException e) {
      System.err.println("GpuBenchmark: " + e.getMessage());
      return 2;
    }
    if (o.worker()) {
      GpuTraining.worker(o);
      return 0;
    }
    failed = false;
    GpuReport report = new GpuReport();
    report.setting("arguments", String.join(" ", args));
    report.setting("time_limit_s", o.timeLimit());
    say("== Kiln GPU benchmark (time limit " + (long) o.timeLimit() + " s)");
    CudaDevices.Status cuda = null;
    if (o.device().equals("cuda")) {
      cuda = CudaDevices.shared();
      report.machine("cuda", cuda.summary());
      if (!cuda.usable()) {
        say("no GPU: " + cuda.reason());
        say(
            "nothing to measure; the benchmark needs a usable CUDA device (--device cpu trains on"
                + " the CPU instead, to check the benchmark itself)");
        report.status("no GPU: " + cuda.reason());
        write(report, o);
        return 0;
      }
      // The engine keeps CUDA devices listed only until the executor is switched on.
      if (System.getProperty("kiln.cuda.executor") == null) {
        System.setProperty("kiln.cuda.executor", "true");
      }
      report.machine("device", "cuda:0 " + cuda.devices().get(0).describe());
      say("device: cuda:0 " + cuda.devices().get(0).describe() + "; " + cuda.summary());
    } else {
      report.machine("device", o.device());
      say("device: " + o.device());
    }
    report.machine("java", Runtime.version().toString());
    report.machine("cores", Runtime.getRuntime().availableProcessors());
    Deadline deadline = Deadline.in(o.timeLimit());
    Thread watchdog = watchdog(o, report, deadline);
    try {
      if (o.parts().contains("gemm")) {
        if (o.device().equals("cpu")) {
          report.note("GEMM part: skipped on the CPU; it compares GPU paths with cuBLAS");
          say("GEMM part: skipped on the CPU");
        } else {
          say("== GEMM");
          new GpuGemm(o, report, deadline, cuda).run();
        }
      }
      if (o.parts().contains("train")) {
        say("== Training " + GpuTraining.model(o));
        report.setting("train_model", GpuTraining.model(o));
        GpuTraining.run(o, report, deadline);
      }
    } catch (RuntimeException e) {
      failed = true;
      report.note("the benchmark FAILED: " + e);
      say("the benchmark FAILED: " + e);
      e.printStackTrace(System.out);
    } finally {
      watchdog.interrupt();
    }
    report.status(
        failed
            ? "failed (see the notes)"
            : report.skipped()
                ? "incomplete: some parts were skipped (see the notes)"
                : "complete");
    write(report, o);
    return failed ? 1 : 0;
  }

  /** Marks the run as failed: a part could not produce its result. */
  static void failed() {
    failed = true;
  }

  /**
   * A daemon that, at the time limit, stops the running child, writes what was measured and stops
   * the JVM with status 3.
   */
  private static Thread watchdog(Options o, GpuReport report, Deadline deadline) {
    Thread t =
        new Thread(
            () -> {
              try {
                long ms = (long) (deadline.remaining() * 1000);
                if (ms > 0) {
                  Thread.sleep(ms);
                }
              } catch (InterruptedException e) {
                return;
              }
              say(
                  "== time limit of "
                      + (long) o.timeLimit()
                      + " s reached: stopping with the"
                      + " results so far");
              GpuTraining.stopChild();
              report.status("partial: stopped at the time limit of " + (long) o.timeLimit() + " s");
              write(report, o);
              System.out.flush();
              Runtime.getRuntime().halt(3);
            },
            "gpu-benchmark-watchdog");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void write(GpuReport report, Options o) {
    String text = report.text();
    say("");
    System.out.print(text);
    if (o.out() != null) {
      try {
        report.write(o.out());
        say("written: " + o.out().resolve("gpu-benchmark.txt") + " and gpu-benchmark.json");
      } catch (IOException e) {
        say("could not write the report to " + o.out() + ": " + e.getMessage());
      }
    }
  }

  /** Prints a progress line at once. */
  static void say(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  /**
   * The engine on an emulated {@code cuda:0}, from backend-native's test classes
   * (CudaTestBackends), for checking the benchmark's GPU code without a GPU.
   *
   * @throws IllegalStateException when those classes are not on the class path
   */
  static Backend emulatedBackend() {
    try {
      return (Backend)
          Class.forName("dev.kiln.engine.CudaTestBackends").getMethod("emulated").invoke(null);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          "--device emulated needs backend-native's test classes (dev.kiln.engine.CudaTestBackends)"
              + " on the class path");
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot open the emulated GPU: " + e.getCause(), e);
    }
  }
}

package dev.kiln.benchmarks;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.models.Model;
import dev.kiln.applications.Applications;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The inference benchmark: images/s of MobileNetV2 (alpha 1.0) and ResNet50 at 224x224, batch 1 and
 * 32, forward only, for Kiln on its own engine ({@code kiln}), Kiln's api on nd4j ({@code
 * kiln-nd4j}) and PyTorch ({@code pytorch}, the same architectures built from Keras's structure in
 * {@code applications/tools/keras_nets.py}, at each of {@code --torch-threads}), each row in its
 * own process. Each row runs two warm-up batches, then batches for {@code --seconds} (at least
 * three). Weights are the builders' random initialization: speed does not depend on their values.
 *
 * <p>Usage: {@code Inference [--models mobilenetv2,resnet50] [--batches 1,32] [--peers
 * kiln,kiln-nd4j,pytorch] [--seconds S] [--torch-threads 2,1]}.
 */
public final class Inference {
  private Inference() {}

  private static final int SIZE = 224;

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--worker")) {
      worker(args[1], Integer.parseInt(args[2]), Double.parseDouble(args[3]));
      return;
    }
    List<String> models = List.of("mobilenetv2", "resnet50");
    List<String> batches = List.of("1", "32");
    List<String> peers = List.of("kiln", "kiln-nd4j", "pytorch");
    List<String> torchThreads = List.of("2", "1");
    String seconds = "15";
    long timeout = 150;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--models" -> models = Arrays.asList(args[++i].split(","));
        case "--batches" -> batches = Arrays.asList(args[++i].split(","));
        case "--peers" -> peers = Arrays.asList(args[++i].split(","));
        case "--seconds" -> seconds = args[++i];
        case "--torch-threads" -> torchThreads = Arrays.asList(args[++i].split(","));
        case "--timeout" -> timeout = Long.parseLong(args[++i]);
        default ->
            throw new IllegalArgumentException(
                "unknown argument " + args[i] + "; see the class Javadoc");
      }
    }
    System.out.println(
        Runtime.getRuntime().availableProcessors()
            + " cores; load average at start: "
            + loadAverage());
    List<Result> results = new ArrayList<>();
    for (String model : models) {
      for (String batch : batches) {
        for (String peer : peers) {
          List<Optional<Result>> rs = new ArrayList<>();
          switch (peer) {
            case "kiln" -> rs.add(java(model, batch, seconds, List.of(), Map.of(), timeout));
            case "kiln-nd4j" ->
                rs.add(
                    java(
                        model,
                        batch,
                        seconds,
                        List.of(
                            "-Dkiln.backend=nd4j",
                            "-Dorg.bytedeco.javacpp.maxPhysicalBytes=14G",
                            "-Dorg.bytedeco.javacpp.maxBytes=12G",
                            "-Xmx1g"),
                        Map.of("OPENBLAS_CORETYPE", "HASWELL"),
                        timeout));
            case "pytorch" -> {
              for (String t : torchThreads) {
                rs.add(pytorch(model, batch, seconds, t, timeout));
              }
            }
            default -> throw new IllegalArgumentException("unknown peer " + peer);
          }
          for (Optional<Result> r : rs) {
            r.ifPresent(results::add);
            r.ifPresent(x -> System.out.println("  done: " + x.peer() + " " + x.model()));
          }
        }
      }
    }
    System.out.println();
    System.out.printf(
        Locale.ROOT, "%-16s %-14s %10s %12s%n", "model-batch", "peer", "images/s", "peak RSS MB");
    for (Result r : results) {
      System.out.printf(
          Locale.ROOT,
          "%-16s %-14s %10.2f %12.0f%n",
          r.model(),
          r.peer(),
          r.samplesPerSecond(),
          r.peakRssMb());
    }
    System.out.println();
    for (Result r : results) {
      System.out.println("settings " + r.peer() + " " + r.model() + ": " + r.settings());
    }
    System.out.println("load average at end: " + loadAverage());
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static Optional<Result> java(
      String model,
      String batch,
      String seconds,
      List<String> flags,
      Map<String, String> env,
      long timeout)
      throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-Xmx6g"));
    cmd.addAll(flags);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Inference.class.getName(),
            "--worker",
            model,
            batch,
            seconds));
    return run(cmd, env, timeout, model + "-b" + batch);
  }

  private static Optional<Result> pytorch(
      String model, String batch, String seconds, String threads, long timeout)
      throws IOException, InterruptedException {
    Path script = Path.of("benchmarks/src/main/python/torch_inference.py");
    if (!Files.exists(script)) {
      script = Path.of("src/main/python/torch_inference.py");
    }
    // Debian's python3-torch is the peer; a python3 earlier on PATH may lack it.
    String python = Files.exists(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    return run(
        List.of(python, script.toString(), model, batch, seconds),
        Map.of(
            "TORCH_PEER_THREADS",
            threads,
            "TORCH_PEER_MEMORY_FORMAT",
            System.getenv().getOrDefault("TORCH_PEER_MEMORY_FORMAT", "channels_last")),
        timeout,
        model + "-b" + batch);
  }

  private static Optional<Result> run(
      List<String> cmd, Map<String, String> env, long timeout, String row)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    Result[] result = {null};
    StringBuilder log = new StringBuilder();
    // Read in another thread so that a row past its time can be stopped.
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                      if (line.startsWith("RESULT\t")) {
                        result[0] = Result.parse(line);
                      } else {
                        synchronized (log) {
                          log.append("    | ").append(line).append('\n');
                        }
                      }
                    }
                  } catch (IOException e) {
                    synchronized (log) {
                      log.append("    | (output lost: ").append(e.getMessage()).append(")\n");
                    }
                  }
                });
    if (!p.waitFor(timeout, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
      reader.join();
      System.out.println(
          "  TIMED OUT: "
              + row
              + " still running after "
              + timeout
              + " s (warm-up and the first timed batches): "
              + String.join(" ", cmd.subList(Math.max(0, cmd.size() - 4), cmd.size())));
      return Optional.empty();
    }
    reader.join();
    int exit = p.exitValue();
    if (result[0] == null || exit != 0) {
      synchronized (log) {
        System.out.println("  FAILED (exit " + exit + "): " + String.join(" ", cmd) + "\n" + log);
      }
      return Optional.empty();
    }
    return Optional.of(result[0]);
  }

  /** Builds the model on this process's backend and times {@code predictOnBatch}. */
  private static void worker(String model, int batch, double seconds) {
    Kiln.setRandomSeed(42);
    float[] x = new float[batch * SIZE * SIZE * 3];
    SplittableRandom rnd = new SplittableRandom(1);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextDouble(-1, 1);
    }
    Tensor input = Tensor.of(x, batch, SIZE, SIZE, 3);
    try (Model m =
        switch (model) {
          case "mobilenetv2" -> Applications.mobileNetV2().alpha(1.0).build();
          case "resnet50" -> Applications.resNet50().build();
          default -> throw new IllegalArgumentException("unknown model " + model);
        }) {
      Tensor y = m.predictOnBatch(input);
      String backend = Kiln.backend().name();
      int least = backend.equals("native") ? 2 : 1;
      int n = 0;
      long start = System.nanoTime();
      while (n < least || (System.nanoTime() - start) / 1e9 < seconds) {
        y = m.predictOnBatch(input);
        n++;
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      String settings =
          String.format(Locale.ROOT, "%d batches in %.1f s after 1 warm-up, ", n, elapsed)
              + (backend.equals("native")
                  ? "Kiln engine, threads="
                      + Runtime.getRuntime().availableProcessors()
                      + ", no BLAS (Kiln's own SGEMM), "
                      + (dev.kiln.engine.cpu.Simd.ENABLED
                          ? dev.kiln.engine.cpu.Simd.BITS + "-bit vectors"
                          : "scalar kernels")
                  : "Kiln api on ND4J 1.0.0-M2.1 (nd4j-native, its OpenBLAS), OPENBLAS_CORETYPE="
                      + System.getenv("OPENBLAS_CORETYPE"));
      double mean = 0;
      for (float v : y.toFloatArray()) {
        mean += v;
      }
      System.out.println(
          new Result(
                  backend.equals("native") ? "kiln" : "kiln+" + backend,
                  model + "-b" + batch,
                  n * batch / elapsed,
                  Result.processPeakRssMb(),
                  mean / y.size(),
                  settings)
              .line());
    }
  }
}

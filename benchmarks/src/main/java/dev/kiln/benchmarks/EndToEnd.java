package dev.kiln.benchmarks;

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

/**
 * The end-to-end benchmark: one epoch of MNIST for the MLP (784-512-256-10, Adam, batch 128) and
 * LeNet (batch 64), one epoch ({@value #RESNET_STEPS} steps, batch 64, Adam) of a small ResNet on
 * MNIST, and {@value #DEFAULT_STEPS} training steps (batch 64, Adam) of a 1-layer LSTM (100 steps x
 * 32 features, 128 units) on random sequences, for Kiln and for each peer found (DL4J when built
 * with {@code -Ppeers}, PyTorch when some {@code python3} imports torch), each in its own process
 * so that peak memory is each one's own. Prints samples/second, peak RSS and the ratios of Kiln's
 * api (or, for the MLP, the IR) to each peer, and the time from JVM start to the first prediction
 * of a small model.
 *
 * <p>The ResNet and the LSTM exist only through the api ({@code kiln-api}; with {@code kiln-nd4j}
 * the same api model on the nd4j backend, for at most {@value #ND4J_API_STEPS} steps); the
 * hand-written IR ({@code kiln}) and DL4J peers have none and are skipped for them.
 *
 * <p>Usage: {@code EndToEnd [--models mlp,lenet,resnet,lstm] [--peers
 * kiln,kiln-api,kiln-nd4j,dl4j,pytorch] [--steps N] [--repeat N]}; {@code --steps} caps every
 * model's steps (the MLP and LeNet run a whole epoch without it). Each model runs {@code --repeat}
 * rounds (default 3), every peer once per round (PyTorch once at each thread count it tries), and
 * each row is the median of its rounds.
 */
public final class EndToEnd {
  private EndToEnd() {}

  /**
   * Training steps of the LSTM row when {@code --steps} is not given: enough that the JIT's first
   * seconds are a small part of the run. With 100 steps (5 s) Kiln's ResNet measured 1,240-1,360
   * samples/s, with 300 steps 1,585-1,597, where PyTorch, which compiles nothing, changes little.
   */
  static final int DEFAULT_STEPS = 300;

  /**
   * Training steps of the ResNet row when {@code --steps} is not given: one MNIST epoch at batch
   * 64, as the MLP and LeNet rows run. Its step takes twice LeNet's, and on two cores the JIT's
   * compiler holds one core for about three seconds after the first step (2026-12-03: C2 compiled
   * for 3.2 s after it), so 300 steps left the warm-up a sixth of the run.
   */
  static final int RESNET_STEPS = 60_000 / 64;

  /**
   * Steps of the ResNet and LSTM on the nd4j backend, at most: they train there at a few samples/s
   * (2026-12-02: ResNet 7, LSTM 2), so a full row would take most of an hour.
   */
  static final int ND4J_API_STEPS = 5;

  /** The models that have a hand-written IR train step (and a DL4J twin). */
  private static final List<String> IR_MODELS = List.of("mlp", "lenet");

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--worker")) {
      worker(args);
      return;
    }
    List<String> models = List.of("mlp", "lenet", "resnet", "lstm");
    List<String> peers = List.of("kiln", "kiln-api", "kiln-nd4j", "dl4j", "pytorch");
    String steps = "";
    int repeat = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--repeat" -> repeat = Integer.parseInt(args[++i]);
        case "--models" -> models = Arrays.asList(args[++i].split(","));
        case "--peers" -> peers = Arrays.asList(args[++i].split(","));
        case "--steps" -> steps = args[++i];
        default ->
            throw new IllegalArgumentException(
                "unknown argument " + args[i] + "; see the class Javadoc");
      }
    }
    Path data = Mnist.findDir();
    System.out.println(
        "MNIST from " + data + "; " + Runtime.getRuntime().availableProcessors() + " cores");
    List<Result> results = new ArrayList<>();
    for (String model : models) {
      boolean ir = IR_MODELS.contains(model);
      if (!ir && !List.of("resnet", "lstm").contains(model)) {
        throw new IllegalArgumentException("unknown model " + model);
      }
      // Both sides of a ResNet or LSTM row run the same number of steps, the default if none given.
      String stepArg =
          ir || !steps.isEmpty()
              ? steps
              : Integer.toString(model.equals("resnet") ? RESNET_STEPS : DEFAULT_STEPS);
      results.addAll(measure(model, ir, peers, stepArg, data, repeat));
    }
    printTable(results);
    System.out.printf(
        Locale.ROOT,
        "%nKiln: JVM start to first prediction of a small model: %.2f s (best of 3, whole process)%n",
        startup("native"));
    if (peers.contains("kiln-nd4j")) {
      System.out.printf(
          Locale.ROOT,
          "Kiln on nd4j: JVM start to first prediction of the same model: %.2f s (best of 3)%n",
          startup("nd4j"));
    }
  }

  /**
   * One model's rows. The peers run in rounds, each once per round ({@code kiln}, {@code kiln-api},
   * PyTorch at one thread and at every core), and each row is the median of its rounds: this shared
   * machine has spells of a few seconds to minutes where it runs at half speed (2026-12-02: a
   * 1024^3 SGEMM at 61 then 121 GFLOP/s a few seconds apart), and rounds spread such a spell over
   * every peer instead of one peer's runs. ND4J and DL4J, far slower, run once.
   */
  private static List<Result> measure(
      String model, boolean ir, List<String> peers, String stepArg, Path data, int repeat)
      throws IOException, InterruptedException {
    Map<String, List<Result>> rounds = new java.util.LinkedHashMap<>();
    Map<String, Result> once = new java.util.HashMap<>();
    Optional<List<String>> torch =
        peers.contains("pytorch") ? torchCommand(model, data, stepArg) : Optional.empty();
    List<Integer> torchThreads = torchThreads();
    for (int round = 0; round < repeat; round++) {
      for (String peer : peers) {
        if (!ir && (peer.equals("kiln") || peer.equals("dl4j"))) {
          if (round == 0) {
            skip(peer, "no hand-written IR or DL4J " + model + "; see the kiln-api row");
          }
          continue;
        }
        switch (peer) {
          case "kiln", "kiln-api" ->
              java(peer, model, stepArg, Map.of())
                  .ifPresent(r -> rounds.computeIfAbsent(peer, k -> new ArrayList<>()).add(r));
          case "kiln-nd4j" -> {
            if (round == 0) {
              nd4j(model, ir, stepArg).ifPresent(r -> once.put(peer, r));
            }
          }
          case "dl4j" -> {
            if (round == 0) {
              (dl4jAvailable()
                      ? java("dl4j", model, stepArg, dl4jEnv())
                      : skip("dl4j", "not built: add -Ppeers"))
                  .ifPresent(r -> once.put(peer, r));
            }
          }
          case "pytorch" -> {
            if (torch.isEmpty()) {
              if (round == 0) {
                skip("pytorch", "no python3 with torch (Debian: apt-get install python3-torch)");
              }
              continue;
            }
            for (int t : torchThreads) {
              Map<String, String> env =
                  System.getenv("TORCH_PEER_THREADS") != null
                      ? Map.of()
                      : Map.of("TORCH_PEER_THREADS", Integer.toString(t));
              run(torch.get(), env)
                  .ifPresent(
                      r -> rounds.computeIfAbsent("pytorch/" + t, k -> new ArrayList<>()).add(r));
            }
          }
          default -> throw new IllegalArgumentException("unknown peer " + peer);
        }
      }
      System.out.println("  done: round " + (round + 1) + " of " + repeat + " for " + model);
    }
    List<Result> out = new ArrayList<>();
    for (String peer : peers) {
      if (once.containsKey(peer)) {
        out.add(once.get(peer));
      } else if (peer.equals("pytorch")) {
        pytorchRow(rounds, torchThreads).ifPresent(out::add);
      } else {
        median(rounds.getOrDefault(peer, List.of())).ifPresent(out::add);
      }
    }
    return out;
  }

  private static Optional<Result> nd4j(String model, boolean ir, String stepArg)
      throws IOException, InterruptedException {
    if (ir) {
      return java("kiln-nd4j", model, stepArg, Map.of("OPENBLAS_CORETYPE", "HASWELL"));
    }
    return java(
        "kiln-api",
        model,
        Integer.toString(Math.min(ND4J_API_STEPS, Integer.parseInt(stepArg))),
        Map.of("OPENBLAS_CORETYPE", "HASWELL"),
        List.of(
            "-Dkiln.backend=nd4j",
            // JavaCPP's default cap (4x the 128 MB heap) is too small for the ResNet's and the
            // LSTM's off-heap arrays.
            "-Dorg.bytedeco.javacpp.maxPhysicalBytes=2G"));
  }

  /** The median by samples/s of a peer's rounds, its settings listing every round. */
  private static Optional<Result> median(List<Result> rounds) {
    if (rounds.isEmpty()) {
      return Optional.empty();
    }
    List<Result> all = new ArrayList<>(rounds);
    String runs =
        all.stream()
            .map(r -> String.format(Locale.ROOT, "%.0f", r.samplesPerSecond()))
            .toList()
            .toString();
    double[] steady =
        all.stream()
            .mapToDouble(Result::steadySamplesPerSecond)
            .filter(v -> !Double.isNaN(v))
            .sorted()
            .toArray();
    all.sort(java.util.Comparator.comparingDouble(Result::samplesPerSecond));
    Result m = all.get(all.size() / 2);
    return Optional.of(
        new Result(
            m.peer(),
            m.model(),
            m.samplesPerSecond(),
            m.peakRssMb(),
            m.finalLoss(),
            m.settings() + ", median of rounds " + runs,
            steady.length == 0 ? Double.NaN : steady[steady.length / 2]));
  }

  private static Optional<Result> skip(String peer, String why) {
    System.out.println("  skipped " + peer + ": " + why);
    return Optional.empty();
  }

  private static boolean dl4jAvailable() {
    try {
      Class.forName("dev.kiln.benchmarks.Dl4jWorker");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * DL4J's best settings here: two OpenMP threads, and OpenBLAS told the core type, because the
   * OpenBLAS bundled with ND4J misdetects some virtualised CPUs and falls back to slow kernels.
   */
  private static Map<String, String> dl4jEnv() {
    // Measured here for DL4J's MLP (samples/s): HASWELL 4,480, ZEN 3,549, SKYLAKEX 3,257, unset
    // 2,961.
    String core = System.getenv().getOrDefault("OPENBLAS_CORETYPE", "HASWELL");
    String threads = Integer.toString(Runtime.getRuntime().availableProcessors());
    return Map.of(
        "OPENBLAS_CORETYPE", core, "OMP_NUM_THREADS", threads, "OPENBLAS_NUM_THREADS", threads);
  }

  private static Optional<Result> java(
      String peer, String model, String steps, Map<String, String> env)
      throws IOException, InterruptedException {
    return java(peer, model, steps, env, List.of());
  }

  private static Optional<Result> java(
      String peer, String model, String steps, Map<String, String> env, List<String> jvmFlags)
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
                "-Xmx128m"));
    cmd.addAll(jvmFlags);
    // -Dkiln.* given to this JVM (the profile, fusion) reach the workers too.
    System.getProperties().stringPropertyNames().stream()
        .filter(
            k ->
                k.startsWith("kiln.")
                    && jvmFlags.stream().noneMatch(f -> f.startsWith("-D" + k + "=")))
        .sorted()
        .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            EndToEnd.class.getName(),
            "--worker",
            peer,
            model,
            steps));
    return run(cmd, env);
  }

  private static Optional<List<String>> torchCommand(String model, Path data, String steps)
      throws InterruptedException {
    Optional<String> python = torchPython();
    if (python.isEmpty()) {
      return Optional.empty();
    }
    Path script = Path.of("benchmarks/src/main/python/torch_peer.py");
    if (!Files.exists(script)) {
      script = Path.of("src/main/python/torch_peer.py");
    }
    List<String> cmd =
        new ArrayList<>(List.of(python.get(), script.toString(), model, data.toString()));
    if (!steps.isEmpty()) {
      cmd.add(steps);
    }
    return Optional.of(cmd);
  }

  /**
   * PyTorch's thread counts: one and every core, unless {@code TORCH_PEER_THREADS} names one. Its
   * best count depends on the model and the machine's load: on two cores two threads nearly doubled
   * its ResNet while its LSTM fell to a third (RESULTS.md).
   */
  private static List<Integer> torchThreads() {
    String fixed = System.getenv("TORCH_PEER_THREADS");
    if (fixed != null) {
      return List.of(Integer.parseInt(fixed));
    }
    int cores = Runtime.getRuntime().availableProcessors();
    return cores > 1 ? List.of(1, cores) : List.of(1);
  }

  /** The PyTorch row: the faster of its per-thread-count medians. */
  private static Optional<Result> pytorchRow(
      Map<String, List<Result>> rounds, List<Integer> threads) {
    Result best = null;
    List<String> tried = new ArrayList<>();
    for (int t : threads) {
      Optional<Result> r = median(rounds.getOrDefault("pytorch/" + t, List.of()));
      if (r.isPresent()) {
        tried.add(String.format(Locale.ROOT, "%d thread(s) %.0f", t, r.get().samplesPerSecond()));
        if (best == null || r.get().samplesPerSecond() > best.samplesPerSecond()) {
          best = r.get();
        }
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    return Optional.of(
        best.withSettings(
            best.settings() + "; the faster of " + String.join(", ", tried) + " samples/s"));
  }

  private static Optional<String> torchPython() throws InterruptedException {
    for (String p : List.of("python3", "/usr/bin/python3")) {
      try {
        Process pr = new ProcessBuilder(p, "-c", "import torch").redirectErrorStream(true).start();
        pr.getInputStream().readAllBytes();
        if (pr.waitFor() == 0) {
          return Optional.of(p);
        }
      } catch (IOException e) {
        // not installed under that name
      }
    }
    return Optional.empty();
  }

  private static Optional<Result> run(List<String> cmd, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    Result result = null;
    StringBuilder log = new StringBuilder();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("RESULT\t")) {
          result = Result.parse(line);
        } else {
          log.append("    | ").append(line).append('\n');
        }
      }
    }
    int exit = p.waitFor();
    if (result == null || exit != 0) {
      System.out.println(
          "  FAILED (exit "
              + exit
              + "): "
              + String.join(" ", cmd.subList(0, Math.min(3, cmd.size())))
              + "\n"
              + log);
      return Optional.empty();
    }
    return Optional.of(result);
  }

  private static double startup(String backend) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    double best = Double.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      ProcessBuilder pb =
          new ProcessBuilder(
                  java,
                  "--add-modules",
                  "jdk.incubator.vector",
                  "--enable-native-access=ALL-UNNAMED",
                  "--sun-misc-unsafe-memory-access=allow",
                  "-Dkiln.backend=" + backend,
                  "-cp",
                  System.getProperty("java.class.path"),
                  EndToEnd.class.getName(),
                  "--worker",
                  "startup",
                  "-",
                  "")
              .redirectErrorStream(true);
      pb.environment().putIfAbsent("OPENBLAS_CORETYPE", "HASWELL");
      Process p = pb.start();
      p.getInputStream().readAllBytes();
      p.waitFor();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return best;
  }

  private static void worker(String[] args) throws Exception {
    String peer = args[1];
    String model = args[2];
    if (peer.equals("startup")) {
      KilnWorker.firstPrediction();
      return;
    }
    int batch = model.equals("mlp") ? 128 : 64;
    boolean limited = args.length > 3 && !args[3].isEmpty();
    Mnist data = model.equals("lstm") ? null : Mnist.train(Mnist.findDir());
    int steps =
        limited
            ? Integer.parseInt(args[3])
            : IR_MODELS.contains(model) || model.equals("resnet")
                ? data.count() / batch
                : DEFAULT_STEPS;
    if (data != null) {
      steps = Math.min(steps, data.count() / batch);
      int n = steps * batch;
      if (n < data.count()) {
        data =
            new Mnist(
                Arrays.copyOf(data.images(), n * Mnist.PIXELS), Arrays.copyOf(data.labels(), n), n);
      }
    }
    Result r =
        switch (peer) {
          case "kiln" -> KilnWorker.train("native", model, data);
          case "kiln-api" -> KilnWorker.trainApi(model, data, steps);
          case "kiln-nd4j" -> KilnWorker.train("nd4j", model, data);
          case "dl4j" ->
              (Result)
                  Class.forName("dev.kiln.benchmarks.Dl4jWorker")
                      .getDeclaredMethod("train", String.class, Mnist.class)
                      .invoke(null, model, data);
          default -> throw new IllegalArgumentException("unknown peer " + peer);
        };
    System.out.println(r.line());
  }

  private static void printTable(List<Result> results) {
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "%-6s %-14s %10s %14s %12s %18s %10s %18s%n",
        "model",
        "peer",
        "samples/s",
        "peak RSS MB",
        "final loss",
        "Kiln/peer",
        "steady/s",
        "steady Kiln/peer");
    for (Result r : results) {
      // Against the api's row where there is one: what a user of Kiln gets.
      Optional<Result> kiln =
          results.stream()
              .filter(k -> k.model().equals(r.model()) && k.peer().equals("kiln-api"))
              .findFirst()
              .or(
                  () ->
                      results.stream()
                          .filter(
                              k -> k.model().equals(r.model()) && k.peer().equals("kiln+native"))
                          .findFirst());
      // A PyTorch on the reference BLAS is several times slower than a properly set-up one: a
      // ratio against it would flatter Kiln, so none is printed.
      boolean referenceBlas = r.settings().contains("BLAS: reference BLAS");
      // Kiln's other rows show the api against them (LeNet: the api within 10% of the IR).
      String ratio =
          !kiln.isPresent() || kiln.get() == r
              ? ""
              : r.peer().startsWith("kiln")
                  ? String.format(
                      Locale.ROOT,
                      "%s %.2fx",
                      kiln.get().peer(),
                      kiln.get().samplesPerSecond() / r.samplesPerSecond())
                  : referenceBlas
                      ? "none: ref BLAS"
                      : String.format(
                          Locale.ROOT,
                          "%.2fx",
                          kiln.get().samplesPerSecond() / r.samplesPerSecond());
      String steadyRatio =
          ratio.isEmpty()
                  || ratio.startsWith("none")
                  || Double.isNaN(r.steadySamplesPerSecond())
                  || Double.isNaN(kiln.get().steadySamplesPerSecond())
              ? ""
              : String.format(
                  Locale.ROOT,
                  "%.2fx",
                  kiln.get().steadySamplesPerSecond() / r.steadySamplesPerSecond());
      System.out.printf(
          Locale.ROOT,
          "%-6s %-14s %10.0f %14.0f %12.4f %18s %10.0f %18s%n",
          r.model(),
          r.peer(),
          r.samplesPerSecond(),
          r.peakRssMb(),
          r.finalLoss(),
          ratio,
          r.steadySamplesPerSecond(),
          steadyRatio);
    }
    System.out.println(
        "steady/s: the second half of each run's steps, after the JIT's warm-up; samples/s: every"
            + " step after the first");
    System.out.println();
    for (Result r : results) {
      System.out.println("settings " + r.peer() + " " + r.model() + ": " + r.settings());
    }
  }
}

package dev.kiln.benchmarks;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.applications.Applications;
import dev.kiln.engine.NativeBackendProvider;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.MemoryUsage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The training part of {@link GpuBenchmark}: Keras's ResNet-50 (random weights, logits, SGD with
 * momentum 0.9 and learning rate 0.01, sparse categorical cross-entropy, synthetic images and
 * labels) trained step by step, by Kiln through its api in a child JVM and by PyTorch eager in a
 * child Python, the same architecture (applications/tools/keras_nets.py), batch, image size and
 * precision. Each peer runs its warm-up steps (Kiln's first compiles the step), then timed steps
 * until the asked count or seconds or its share of the time limit; images/s counts the timed steps.
 * Both copy the batch from host memory each step, as data from a loader would come. A child reports
 * one {@code RESULT} line of tab-separated {@code key=value} fields, and a {@code PARTIAL} line
 * after each timed step, which stands in when the child is stopped at its limit.
 */
final class GpuTraining {
  private GpuTraining() {}

  /** What is printed before a result's fields. */
  static final String RESULT = "RESULT";

  static final String PARTIAL = "PARTIAL";

  /** The current child process, which the watchdog stops at the time limit. */
  private static volatile Process child;

  /** Stops the running child, if any. */
  static void stopChild() {
    Process p = child;
    if (p != null) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  /** The model's name in the report: {@code resnet50-224-b64-float32}. */
  static String model(GpuBenchmark.Options o) {
    return "resnet50-" + o.image() + "-b" + o.batch() + "-" + o.precision();
  }

  /** Runs the peers of {@code o.peers()} in turn, each as a child within the deadline. */
  static void run(GpuBenchmark.Options o, GpuReport report, GpuBenchmark.Deadline deadline) {
    // PyTorch's share of what is left when Kiln starts: it warms up in seconds.
    double torchShare =
        o.peers().contains("pytorch") ? Math.min(90, deadline.remaining() * 0.4) : 0;
    for (String peer : o.peers()) {
      double budget = deadline.remaining() - (peer.equals("kiln") ? torchShare : 0) - 3;
      if (budget < 10) {
        report.skip(peer + " training: skipped, too little of the time limit is left");
        GpuBenchmark.say(peer + " training: skipped, too little of the time limit is left");
        continue;
      }
      switch (peer) {
        case "kiln" -> kiln(o, report, budget);
        case "pytorch" -> pytorch(o, report, budget);
        default -> throw new IllegalArgumentException("unknown peer " + peer);
      }
    }
  }

  private static void kiln(GpuBenchmark.Options o, GpuReport report, double budget) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      // The child gets its own settings of these below.
      if (!a.startsWith("-Dkiln.cuda.tf32=") && !a.startsWith("-Dkiln.device=")) {
        cmd.add(a);
      }
    }
    cmd.add("-Dkiln.cuda.tf32=" + o.precision().equals("tf32"));
    if (o.device().equals("cuda")) {
      cmd.add("-Dkiln.cuda.executor=true");
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), GpuBenchmark.class.getName()));
    cmd.addAll(workerArgs(o, budget - 5));
    GpuBenchmark.say(
        "kiln training: " + model(o) + " in a child JVM (limit " + seconds(budget) + ")");
    runPeer("kiln", cmd, Map.of(), budget, o, report);
  }

  /** The arguments of the Kiln training child. */
  static List<String> workerArgs(GpuBenchmark.Options o, double budget) {
    List<String> args = new ArrayList<>(List.of("--worker-train", "--device", o.device()));
    args.addAll(sharedArgs(o, budget));
    return args;
  }

  /** The workload's arguments, which both peers' children take alike. */
  private static List<String> sharedArgs(GpuBenchmark.Options o, double budget) {
    return List.of(
        "--image",
        Integer.toString(o.image()),
        "--batch",
        Integer.toString(o.batch()),
        "--classes",
        Integer.toString(o.classes()),
        "--warmup",
        Integer.toString(o.warmup()),
        "--steps",
        Integer.toString(o.steps()),
        "--train-seconds",
        Double.toString(o.trainSeconds()),
        "--precision",
        o.precision(),
        "--time-limit",
        Double.toString(Math.max(1, budget)));
  }

  private static void pytorch(GpuBenchmark.Options o, GpuReport report, double budget) {
    long start = System.nanoTime();
    Optional<Path> script = torchScript(o);
    if (script.isEmpty()) {
      String why =
          "PyTorch peer: skipped, torch_train.py not found (give --torch-script; looked beside the"
              + " working directory's benchmarks/src/main/python and python/)";
      report.note(why);
      GpuBenchmark.say(why);
      return;
    }
    List<String> tried = new ArrayList<>();
    String python = findTorch(o, tried, Math.min(90, budget / 2));
    if (python == null) {
      String why =
          "PyTorch peer: skipped, no python3 with torch"
              + (o.device().equals("cuda") ? " and CUDA" : "")
              + " ("
              + String.join("; ", tried)
              + ")";
      report.note(why);
      GpuBenchmark.say(why);
      return;
    }
    report.setting("pytorch_python", python);
    double left = budget - (System.nanoTime() - start) / 1e9;
    List<String> cmd =
        new ArrayList<>(
            List.of(
                python,
                script.get().toString(),
                "--device",
                o.device().equals("emulated") ? "cpu" : o.device(),
                "--memory-format",
                o.memoryFormat()));
    cmd.addAll(sharedArgs(o, left - 5));
    GpuBenchmark.say(
        "pytorch training: " + model(o) + " with " + python + " (limit " + seconds(left) + ")");
    runPeer("pytorch", cmd, Map.of("PYTHONUNBUFFERED", "1"), left, o, report);
  }

  private static Optional<Path> torchScript(GpuBenchmark.Options o) {
    if (o.torchScript() != null) {
      return Optional.of(o.torchScript()).filter(Files::exists);
    }
    for (String p :
        List.of(
            "benchmarks/src/main/python/torch_train.py",
            "src/main/python/torch_train.py",
            "python/torch_train.py")) {
      if (Files.exists(Path.of(p))) {
        return Optional.of(Path.of(p));
      }
    }
    return Optional.empty();
  }

  /**
   * The first python with PyTorch (and CUDA, for a CUDA run): {@code --python}, else {@code
   * python3} on the PATH, else {@code /usr/bin/python3}. Each try's outcome goes into {@code
   * tried}.
   */
  private static String findTorch(GpuBenchmark.Options o, List<String> tried, double limit) {
    List<String> candidates = new ArrayList<>();
    if (o.python() != null) {
      candidates.add(o.python());
    } else {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
        Path p = Path.of(dir.isEmpty() ? "." : dir, "python3");
        if (Files.isExecutable(p) && !candidates.contains(p.toString())) {
          candidates.add(p.toString());
          break;
        }
      }
      if (!candidates.contains("/usr/bin/python3")
          && Files.isExecutable(Path.of("/usr/bin/python3"))) {
        candidates.add("/usr/bin/python3");
      }
    }
    boolean cuda = o.device().equals("cuda");
    long start = System.nanoTime();
    for (String python : candidates) {
      double left = limit - (System.nanoTime() - start) / 1e9;
      if (left < 5) {
        tried.add(python + ": not tried, out of time");
        continue;
      }
      List<String> out = new ArrayList<>();
      Outcome r =
          run(
              List.of(
                  python,
                  "-c",
                  "import torch; print('torch', torch.__version__, torch.cuda.is_available())"),
              Map.of(),
              left,
              out::add,
              false);
      String last = out.isEmpty() ? "" : out.get(out.size() - 1);
      if (r.exit() == 0 && last.startsWith("torch ") && (!cuda || last.endsWith(" True"))) {
        return python;
      }
      tried.add(
          python
              + ": "
              + (r.timedOut()
                  ? "timed out importing torch"
                  : r.exit() != 0
                      ? "no torch (" + (out.isEmpty() ? "exit " + r.exit() : last) + ")"
                      : last.replace("torch ", "torch ").replace(" False", ", no CUDA")));
    }
    if (candidates.isEmpty()) {
      tried.add("no python3 on the PATH or in /usr/bin");
    }
    return null;
  }

  private static void runPeer(
      String peer,
      List<String> cmd,
      Map<String, String> env,
      double limit,
      GpuBenchmark.Options o,
      GpuReport report) {
    Map<String, String> result = new LinkedHashMap<>();
    Map<String, String> partial = new LinkedHashMap<>();
    Outcome r;
    try {
      r =
          run(
              cmd,
              env,
              limit,
              line -> {
                if (line.startsWith(RESULT + "\t")) {
                  result.putAll(fields(line));
                } else if (line.startsWith(PARTIAL + "\t")) {
                  partial.clear();
                  partial.putAll(fields(line));
                }
              },
              true);
    } catch (RuntimeException e) {
      report.note(peer + " training FAILED to start: " + e);
      GpuBenchmark.say(peer + " training FAILED to start: " + e);
      GpuBenchmark.failed();
      return;
    }
    if (!result.isEmpty() && r.exit() == 0) {
      report.train(result);
      GpuBenchmark.say(peer + " training: " + result.get("images_per_s") + " images/s");
      return;
    }
    String why =
        r.timedOut()
            ? "stopped at its limit of " + seconds(limit)
            : "exited with status " + r.exit() + " without a result";
    if (!partial.isEmpty()) {
      partial.put("status", "partial: " + why);
      report.train(partial);
      report.skip(peer + " training " + why + "; its last partial result is reported");
    } else {
      Map<String, String> none = new LinkedHashMap<>();
      none.put("peer", peer);
      none.put("model", model(o));
      none.put("status", "no result: " + why);
      report.train(none);
      report.skip(peer + " training " + why + ", before any timed step (see its output above)");
    }
    GpuBenchmark.say(peer + " training: " + why);
    if (!r.timedOut()) {
      GpuBenchmark.failed();
    }
  }

  /** The {@code key=value} fields after the first tab. */
  static Map<String, String> fields(String line) {
    Map<String, String> m = new LinkedHashMap<>();
    String[] parts = line.split("\t");
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0) {
        m.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
      }
    }
    return m;
  }

  /** A result line from fields; tabs and newlines in values become spaces. */
  static String line(String kind, Map<String, ?> fields) {
    StringBuilder b = new StringBuilder(kind);
    fields.forEach(
        (k, v) ->
            b.append('\t')
                .append(k)
                .append('=')
                .append(String.valueOf(v).replaceAll("[\t\r\n]", " ")));
    return b.toString();
  }

  /**
   * A child's end.
   *
   * @param exit its exit status (-1 when stopped)
   * @param timedOut whether it was stopped at its limit
   */
  record Outcome(int exit, boolean timedOut) {}

  /**
   * Runs {@code cmd}, passing each output line (stdout and stderr together) to {@code onLine} and,
   * when {@code echo}, printing it indented; stops it after {@code limit} seconds.
   */
  static Outcome run(
      List<String> cmd,
      Map<String, String> env,
      double limit,
      Consumer<String> onLine,
      boolean echo) {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + cmd.get(0) + ": " + e.getMessage(), e);
    }
    child = p;
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                      onLine.accept(line);
                      if (echo && !line.startsWith(PARTIAL + "\t")) {
                        GpuBenchmark.say("  | " + line);
                      }
                    }
                  } catch (IOException e) {
                    GpuBenchmark.say("  | (output lost: " + e.getMessage() + ")");
                  }
                });
    try {
      boolean done = p.waitFor((long) (limit * 1000), TimeUnit.MILLISECONDS);
      if (!done) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor();
      }
      reader.join(5000);
      return new Outcome(done ? p.exitValue() : -1, !done);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Outcome(-1, true);
    } finally {
      child = null;
    }
  }

  private static String seconds(double s) {
    return String.format(Locale.ROOT, "%.0f s", s);
  }

  // ------------------------------------------------------------------ the Kiln child

  /**
   * Trains in this process on the worker's device and prints the result. The device: {@code cuda}
   * ({@code cuda:0} through the CUDA executor), {@code cpu}, or {@code emulated} (the engine's
   * emulated GPU, only with backend-native's test classes on the class path).
   */
  static void worker(GpuBenchmark.Options o) {
    long begin = System.nanoTime();
    Backend backend =
        o.device().equals("emulated")
            ? GpuBenchmark.emulatedBackend()
            : new NativeBackendProvider()
                .open(
                    new BackendOptions(
                        Map.of("device", o.device().equals("cuda") ? "cuda:0" : o.device())));
    Kiln.useBackend(backend);
    if (o.precision().equals("mixed_bfloat16")) {
      Kiln.setDtypePolicy(DTypePolicy.MIXED_BFLOAT16);
    }
    Kiln.setRandomSeed(42);
    int n = o.batch() * o.image() * o.image() * 3;
    float[] x = new float[n];
    int[] y = new int[o.batch()];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextDouble();
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = r.nextInt(o.classes());
    }
    Tensor images = Tensor.of(x, o.batch(), o.image(), o.image(), 3);
    Tensor labels = Tensor.of(y, o.batch());
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("peer", "kiln");
    f.put("model", model(o));
    try (Model m =
        Applications.resNet50()
            .inputShape(o.image(), o.image(), 3)
            .classes(o.classes())
            .classifierActivation("linear")
            .build()) {
      m.compile(
          new SGD(0.01, 0.9, false), new Losses.SparseCategoricalCrossentropy().fromLogits(true));
      double built = (System.nanoTime() - begin) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "kiln: ResNet-50 built in %.1f s, %d weights on %s%n",
          built,
          m.countParams(),
          backend.describe(backend.defaultDevice()));
      double loss = Double.NaN;
      double firstLoss = Double.NaN;
      double warmupSeconds = 0;
      for (int w = 0; w < o.warmup(); w++) {
        f.put("warmup_steps", w + 1);
        long t = System.nanoTime();
        loss = m.trainOnBatch(images, labels).get("loss");
        if (w == 0) {
          firstLoss = loss;
        }
        double s = (System.nanoTime() - t) / 1e9;
        warmupSeconds += s;
        System.out.printf(
            Locale.ROOT,
            "kiln: warm-up step %d: %.2f s%s, loss %.4f%n",
            w + 1,
            s,
            w == 0 ? " (compiles the step)" : "",
            loss);
        // Leave time for timed steps: warm-up counts for nothing if none follows.
        if ((System.nanoTime() - begin) / 1e9 + 3 * s > o.timeLimit()) {
          System.out.println("kiln: warm-up cut short by the time limit");
          break;
        }
      }
      f.putIfAbsent("warmup_steps", 0);
      int steps = 0;
      long start = System.nanoTime();
      double last = 0;
      while (steps < o.steps()) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        double sinceBegin = (System.nanoTime() - begin) / 1e9;
        if (steps >= 2 && elapsed >= o.trainSeconds()) {
          break;
        }
        // Stop while a result can still be printed, rather than be stopped without one.
        if (steps >= 1 && sinceBegin + 1.5 * last > o.timeLimit()) {
          f.put("stopped", "time limit");
          break;
        }
        long t = System.nanoTime();
        loss = m.trainOnBatch(images, labels).get("loss");
        last = (System.nanoTime() - t) / 1e9;
        if (Double.isNaN(firstLoss)) {
          firstLoss = loss;
        }
        steps++;
        double total = (System.nanoTime() - start) / 1e9;
        fill(f, o, steps, total, firstLoss, loss, warmupSeconds, backend);
        System.out.println(line(PARTIAL, f));
        if (steps == 1 || steps % 5 == 0) {
          System.out.printf(
              Locale.ROOT,
              "kiln: %d timed steps, %.1f images/s, loss %.4f%n",
              steps,
              steps * o.batch() / total,
              loss);
        }
      }
      if (steps == 0) {
        throw new IllegalStateException(
            "no timed step within the time limit of " + o.timeLimit() + " s");
      }
      f.put(
          "settings",
          "Kiln api: Applications.resNet50() (logits), compile(SGD(0.01, momentum 0.9),"
              + " SparseCategoricalCrossentropy(fromLogits)), trainOnBatch on "
              + backend.describe(backend.defaultDevice())
              + ", precision "
              + o.precision()
              + ", warm-up "
              + o.warmup()
              + " steps in "
              + String.format(Locale.ROOT, "%.1f s", warmupSeconds)
              + ", Java "
              + Runtime.version());
      System.out.println(line(RESULT, f));
    }
  }

  private static void fill(
      Map<String, Object> f,
      GpuBenchmark.Options o,
      int steps,
      double seconds,
      double firstLoss,
      double loss,
      double warmupSeconds,
      Backend backend) {
    f.put("images_per_s", String.format(Locale.ROOT, "%.2f", steps * o.batch() / seconds));
    f.put("steps", steps);
    f.put("seconds", String.format(Locale.ROOT, "%.3f", seconds));
    f.put("batch", o.batch());
    f.put("image", o.image());
    f.put("warmup_seconds", String.format(Locale.ROOT, "%.2f", warmupSeconds));
    f.put("first_loss", String.format(Locale.ROOT, "%.5f", firstLoss));
    f.put("last_loss", String.format(Locale.ROOT, "%.5f", loss));
    Optional<MemoryUsage> mem = backend.memoryUsage(backend.defaultDevice());
    if (mem.isPresent()) {
      f.put("peak_reserved_bytes", mem.get().peakReserved());
      f.put("peak_in_use_bytes", mem.get().peakInUse());
      f.put("memory", "device (Kiln's CudaAllocator)");
    } else {
      f.put("peak_reserved_bytes", -1);
      f.put("peak_in_use_bytes", -1);
      f.put(
          "memory",
          String.format(
              Locale.ROOT,
              "no device memory on %s; process peak RSS %.0f MB",
              backend.defaultDevice(),
              Result.processPeakRssMb()));
    }
  }
}

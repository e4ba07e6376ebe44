package dev.kiln.cli;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Dataset;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.spi.backend.Backends;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln train SPEC}: fits a model as a training spec or a compiled Keras config says. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train a model and print Keras's progress bar, then 'test_<metric>: X' lines where the data"
          + " has a test split.",
      "SPEC is a Kiln training spec {model, compile, fit, data} (checked against its JSON"
          + " Schema; see data/models/mnist-mlp.train.json) or a Keras config with a"
          + " compile_config (then --data names the data).",
      "Data: mnist, fashion_mnist, a folder of MNIST-layout IDX files, a .csv (--label), a .npz"
          + " (arrays x and y) or a folder with one sub-folder of images per class.",
    })
final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Common common;

  @Parameters(paramLabel = "SPEC", description = "A training spec or a compiled Keras config.")
  Path specFile;

  @Option(
      names = "--data",
      paramLabel = "SOURCE",
      description = "The data, instead of the spec's: mnist, fashion_mnist or a path.")
  String data;

  @Option(names = "--label", paramLabel = "COLUMN", description = "A CSV file's label column.")
  String label;

  @Option(
      names = "--epochs",
      paramLabel = "N",
      description = "Train until N epochs in all (with --resume, counting the checkpoint's).")
  Integer epochs;

  @Option(names = "--batch-size", paramLabel = "N", description = "Samples per batch.")
  Integer batchSize;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description = "Seeds weights and shuffling (default: the spec's, else 0), so runs repeat.")
  Long seed;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Use at most the first N samples of each split (for quick runs).")
  Integer limit;

  @Option(
      names = "--backend",
      paramLabel = "NAME",
      description = "The backend to train on (see kiln backends); default: the highest priority.")
  String backend;

  @Option(
      names = "--save",
      paramLabel = "OUT.keras",
      description =
          "Save the trained model (with its optimizer state and step, so --resume continues it).")
  Path save;

  @Option(
      names = "--resume",
      paramLabel = "CKPT",
      description =
          "Continue training a model saved by --save or ModelCheckpoint (.keras): its weights,"
              + " optimizer state and step; the spec's model and compile are not used.")
  Path resume;

  @Option(
      names = "--progress",
      paramLabel = "0|1|2",
      description = "0 silent, 1 progress bar, 2 one line per epoch (default: the spec's, else 1).")
  Integer progress;

  @Override
  public Integer call() throws Exception {
    checkOptions();
    if (backend != null) {
      Kiln.useBackend(Backends.open(backend));
    }
    TrainingSpec ts = TrainingSpec.read(specFile);
    long s = seed != null ? seed : ts.seed(0);
    Kiln.setRandomSeed(s);
    Model model;
    if (resume != null) {
      model = ModelArgs.load(ModelArgs.existing(resume), true);
      if (model.optimizer() == null) {
        throw new CliException(
            resume
                + " holds no optimizer state (no compile_config): --resume needs a .keras"
                + " written by kiln train --save, Model.save or ModelCheckpoint");
      }
    } else {
      model = ts.buildModel();
    }
    DataSource.Spec ds = dataSpec(ts);
    DataSource.Loaded loaded =
        DataSource.load(ds.withLimit(limit != null ? limit : ds.limit()), model);

    int total = epochs != null ? epochs : ts.fitInt("epochs", 1);
    int batch = batchSize != null ? batchSize : ts.fitInt("batch_size", 32);
    int verbose = progress != null ? progress : ts.fitInt("verbose", 1);
    DataSource.Split train = loaded.train();
    int n = train.length();
    double vs = ts.validationSplit();
    int at = vs > 0 ? (int) (n * (1 - vs)) : n;
    if (at < 1) {
      throw new CliException(
          "validation_split " + vs + " of " + n + " samples leaves none to train on");
    }
    Tensor x = train.x().slice(0, at);
    Tensor y = train.y().slice(0, at);
    int steps = (at + batch - 1) / batch;
    int start = resume == null ? 0 : startEpoch(model, steps, total);

    FitOptions options = new FitOptions().epochs(total).initialEpoch(start).verbose(verbose);
    if (at < n) {
      options.validationData(
          Dataset.fromTensors(train.x().slice(at, n), train.y().slice(at, n)).batch(batch));
    }
    model.fit(epochData(x, y, batch, steps, ts.shuffle(), s, start), options);

    PrintWriter out = spec.commandLine().getOut();
    if (save != null) {
      model.save(save);
      out.println("saved " + save);
    }
    if (loaded.test() != null) {
      Map<String, Double> results =
          model.evaluate(
              java.util.List.of(loaded.test().x()),
              java.util.List.of(loaded.test().y()),
              new FitOptions().verbose(0).batchSize(batch));
      printTest(out, results);
    }
    out.flush();
    return 0;
  }

  private void checkOptions() {
    for (Object[] o :
        new Object[][] {{"--epochs", epochs}, {"--batch-size", batchSize}, {"--limit", limit}}) {
      if (o[1] != null && (Integer) o[1] < 1) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), o[0] + " must be at least 1, not " + o[1]);
      }
    }
    if (progress != null && (progress < 0 || progress > 2)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--progress is 0, 1 or 2, not " + progress);
    }
  }

  private DataSource.Spec dataSpec(TrainingSpec ts) {
    if (data != null) {
      DataSource.Spec given = DataSource.Spec.of(data, Path.of(""));
      return label == null
          ? given
          : new DataSource.Spec(
              data, Path.of(""), null, label, null, null, null, null, null, null, null, null);
    }
    if (ts.data() == null) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), specFile + " is a Keras config: name the data with --data");
    }
    if (label != null) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--label goes with --data; the spec's data names its own label");
    }
    return ts.data();
  }

  /** The epochs a checkpoint has trained: its optimizer's step count over steps per epoch. */
  private int startEpoch(Model model, int steps, int total) {
    long done = model.optimizer().iterations();
    if (done % steps != 0) {
      throw new CliException(
          resume
              + " stopped at step "
              + done
              + ", not at the end of an epoch of "
              + steps
              + " steps: resume with the data, --limit and --batch-size it was trained with");
    }
    long start = done / steps;
    if (start >= total) {
      throw new CliException(
          resume
              + " has trained "
              + start
              + " epochs already; --epochs counts all epochs, so ask for more than "
              + start);
    }
    return (int) start;
  }

  /**
   * The training batches, shuffled for epoch {@code e} from a seed of its own: an epoch's batches
   * depend only on the seed and its number, so training resumed at epoch 2 sees the batches the
   * uninterrupted run saw there.
   */
  static Dataset epochData(
      Tensor x, Tensor y, int batch, int steps, boolean shuffle, long seed, int firstEpoch) {
    AtomicInteger epoch = new AtomicInteger(firstEpoch);
    return Dataset.fromIterable(
        () -> {
          int e = epoch.getAndIncrement();
          Dataset d = Dataset.fromTensors(x, y);
          if (shuffle) {
            d = d.shuffle(x.length(), epochSeed(seed, e));
          }
          return d.batch(batch).iterator();
        },
        steps);
  }

  static long epochSeed(long seed, int epoch) {
    return new SplittableRandom(seed).split().nextLong() ^ (0x9E3779B97F4A7C15L * (epoch + 1));
  }

  static void printTest(PrintWriter out, Map<String, Double> results) {
    for (Map.Entry<String, Double> e : results.entrySet()) {
      out.println(String.format(Locale.ROOT, "test_%s: %.4f", e.getKey(), e.getValue()));
    }
  }
}

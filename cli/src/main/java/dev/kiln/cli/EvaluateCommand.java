package dev.kiln.cli;

import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.Optimizer;
import dev.kiln.api.optimizers.Optimizers;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code kiln evaluate MODEL --data SOURCE}: the model's loss and metrics on a data set. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate a trained model and print 'test_<metric>: X' lines: the loss, then the metrics it"
          + " was compiled with (or --loss and --metrics for a model saved without them).",
      "mnist, fashion_mnist and MNIST-layout IDX folders are evaluated on their test split; other"
          + " data (.csv, .npz, IDX file, image folder) whole.",
    })
final class EvaluateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Common common;
  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "SOURCE",
      description =
          "mnist, fashion_mnist, a folder of MNIST-layout IDX files, a .csv (with --label), a"
              + " .npz (arrays x and y) or a folder with one sub-folder of images per class.")
  String data;

  @Option(names = "--label", paramLabel = "COLUMN", description = "A CSV file's label column.")
  String label;

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description = "The IDX labels file, when --data is an IDX file of inputs.")
  String labels;

  @Option(
      names = "--scale",
      paramLabel = "F",
      description = "Multiply the inputs by F (default 1/255 for pixels, 1 otherwise).")
  Double scale;

  @Option(
      names = "--image-size",
      split = ",",
      paramLabel = "H,W",
      description = "Resize an image folder's images (default: the model's input size).")
  int[] imageSize;

  @Option(
      names = "--loss",
      paramLabel = "NAME",
      description = "The loss, for a model saved without a compile_config (or to replace it).")
  String loss;

  @Option(
      names = "--metrics",
      split = ",",
      paramLabel = "NAME",
      description = "The metrics with --loss, e.g. accuracy.")
  List<String> metrics;

  @Option(names = "--limit", paramLabel = "N", description = "Use at most the first N samples.")
  Integer limit;

  @Override
  public Integer call() throws Exception {
    Path model = modelOptions.model;
    int batchSize = modelOptions.batchSize;
    if (batchSize < 1 || (limit != null && limit < 1)) {
      throw new ParameterException(
          spec.commandLine(), "--batch-size and --limit must be at least 1");
    }
    if (metrics != null && loss == null) {
      throw new ParameterException(spec.commandLine(), "--metrics goes with --loss");
    }
    if (imageSize != null && (imageSize.length != 2 || imageSize[0] < 1 || imageSize[1] < 1)) {
      throw new ParameterException(
          spec.commandLine(), "--image-size is two sizes above 0: HEIGHT,WIDTH");
    }
    Model m = modelOptions.load("evaluate");
    if (loss != null) {
      // Evaluation never steps the optimizer; an uncompiled model gets a placeholder one.
      Optimizer opt = m.optimizer() != null ? m.optimizer() : Optimizers.get("sgd");
      m.compile(opt, dev.kiln.api.losses.Losses.get(loss), metricArgs());
    } else if (m.optimizer() == null) {
      throw new CliException(
          model
              + " was saved without a compile_config: give --loss (and --metrics) to evaluate"
              + " it");
    }
    DataSource.Spec ds =
        new DataSource.Spec(
            data,
            Path.of(""),
            labels,
            label,
            null,
            null,
            null,
            imageSize,
            scale,
            null,
            null,
            limit);
    DataSource.Split split = DataSource.load(ds, m, true).train();
    Map<String, Double> results =
        m.evaluate(
            List.of(split.x()),
            List.of(split.y()),
            new FitOptions().verbose(0).batchSize(batchSize));
    TrainCommand.printTest(spec.commandLine().getOut(), results);
    spec.commandLine().getOut().flush();
    return 0;
  }

  private Object[] metricArgs() {
    return metrics == null ? new Object[0] : metrics.toArray();
  }
}

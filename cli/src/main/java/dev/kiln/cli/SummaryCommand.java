package dev.kiln.cli;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.Model;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln summary MODEL}: Keras's summary table and the parameter counts as plain integers. */
@Command(
    name = "summary",
    mixinStandardHelpOptions = true,
    description = {
      "Print a model's summary: its layers, output shapes and parameter counts.",
      "Ends with 'Total params: N', 'Trainable params: N' and 'Non-trainable params: N' lines.",
    })
final class SummaryCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Common common;

  @Parameters(
      paramLabel = "MODEL",
      description =
          "A Keras JSON config (Keras 3, Keras 2 or TF.js), a TF.js model.json or folder, a .keras"
              + " archive or a Keras 2 .h5 model.")
  Path model;

  @Override
  public Integer call() throws Exception {
    // Weights do not change the table, so JSON files are read as configs only.
    Model m = ModelArgs.load(model, false);
    spec.commandLine().getOut().print(render(m));
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** The summary table with its totals replaced by plain integer lines. */
  static String render(Model m) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      m.summary(ps);
    }
    StringBuilder sb = new StringBuilder();
    for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n", -1)) {
      String t = line.strip();
      // Summary's own totals carry separators and sizes; the plain lines below replace them.
      if (t.startsWith("Total params:")
          || t.startsWith("Trainable params:")
          || t.startsWith("Non-trainable params:")
          || line.isEmpty()) {
        continue;
      }
      sb.append(line).append('\n');
    }
    long trainable = 0;
    long frozen = 0;
    for (Weight w : m.weights()) {
      if (w.trainable()) {
        trainable += w.size();
      } else {
        frozen += w.size();
      }
    }
    sb.append("Total params: ").append(trainable + frozen).append('\n');
    sb.append("Trainable params: ").append(trainable).append('\n');
    sb.append("Non-trainable params: ").append(frozen).append('\n');
    return sb.toString();
  }
}

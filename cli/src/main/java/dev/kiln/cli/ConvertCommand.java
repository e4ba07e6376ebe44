package dev.kiln.cli;

import dev.kiln.api.models.Model;
import dev.kiln.api.saving.ModelFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln convert IN OUT}: between .h5 (read), .keras, TF.js and Keras JSON. */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = {
      "Convert a model between formats: a Keras 2 .h5 model (read only), a .keras archive, a"
          + " TF.js layers model (a folder or model.json) and a Keras JSON config (config only).",
      "OUT's format follows its name: *.keras is an archive, model.json, a folder or a name"
          + " without a suffix is TF.js, any other *.json is a Keras 3 JSON config; --format"
          + " overrides.",
    })
final class ConvertCommand implements Callable<Integer> {
  /** The formats written. */
  enum Format {
    keras,
    tfjs,
    json
  }

  @Spec CommandSpec spec;
  @Mixin Common common;

  @Parameters(index = "0", paramLabel = "IN", description = "The model to read.")
  Path in;

  @Parameters(index = "1", paramLabel = "OUT", description = "Where to write it.")
  Path out;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      description = "keras, tfjs or json (default: from OUT's name).")
  Format format;

  @Override
  public Integer call() throws Exception {
    Format f = format != null ? format : formatOf(out);
    ModelArgs.Kind kind = ModelArgs.kind(in);
    Model m = ModelArgs.load(in, true);
    if (kind == ModelArgs.Kind.CONFIG && f != Format.json) {
      spec.commandLine()
          .getErr()
          .println(
              "kiln: warning: "
                  + in
                  + " holds a config only; "
                  + out
                  + " gets freshly initialised weights");
      spec.commandLine().getErr().flush();
    }
    switch (f) {
      case json -> writeJson(m.toJson(true), out);
      case keras ->
          ModelFiles.save(
              m,
              out.getFileName().toString().endsWith(".keras")
                  ? out
                  : refuse("a .keras archive needs a name ending in .keras, not " + out));
      case tfjs -> ModelFiles.save(m, out);
    }
    spec.commandLine().getOut().println("wrote " + out + " (" + f + ")");
    spec.commandLine().getOut().flush();
    return 0;
  }

  private static Path refuse(String message) {
    throw new CliException(message);
  }

  static Format formatOf(Path out) {
    String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".keras")) {
      return Format.keras;
    }
    if (name.equals("model.json") || Files.isDirectory(out) || !name.contains(".")) {
      return Format.tfjs;
    }
    if (name.endsWith(".json")) {
      return Format.json;
    }
    if (name.endsWith(".h5") || name.endsWith(".hdf5")) {
      throw new CliException(
          "Kiln reads Keras 2 .h5 models but does not write them: write " + out + " as .keras");
    }
    throw new CliException(
        "cannot tell which format to write "
            + out
            + " in: use a name ending in .keras or .json, a folder, or --format");
  }

  /** Writes text atomically: a temporary file beside the target, then moved over it. */
  static void writeJson(String text, Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(
          tmp,
          target,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}

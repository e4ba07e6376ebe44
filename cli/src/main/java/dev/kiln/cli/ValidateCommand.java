package dev.kiln.cli;

import dev.kiln.api.KilnException;
import dev.kiln.api.models.Models;
import dev.kiln.api.saving.configs.JsonText;
import dev.kiln.schemas.ConfigError;
import dev.kiln.schemas.ConfigValidator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln validate CONFIG}: checks a model config against Kiln's JSON Schemas. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Check a model config against Kiln's JSON Schemas (draft 2020-12).",
      "Keras 2 and TF.js configs are first brought to Keras 3's form; errors are printed as"
          + " '<json path>: <message>', and the exit code is 1 when there are any.",
    })
final class ValidateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Common common;

  @Parameters(
      paramLabel = "CONFIG",
      description = "A Keras JSON config (Keras 3, Keras 2 or TF.js model.json).")
  Path config;

  @Override
  public Integer call() throws Exception {
    ModelArgs.existing(config);
    Object parsed = JsonText.parse(config);
    Map<String, Object> keras3;
    try {
      keras3 = Models.toKeras3(parsed);
    } catch (KilnException e) {
      // The dialect check names the JSON path but not the file.
      throw new CliException(config + ": " + e.getMessage());
    }
    List<ConfigError> errors = ConfigValidator.forModels().validate(JsonText.write(keras3, false));
    PrintWriter out = spec.commandLine().getOut();
    // Paths point into Keras 3's form; say so where that differs from the file's own layout.
    String form = keras3.equals(parsed) ? "" : " (in its Keras 3 form)";
    if (errors.isEmpty()) {
      out.println(config + ": valid" + form);
      out.flush();
      return 0;
    }
    for (ConfigError e : errors) {
      out.println(e.path() + ": " + e.message());
    }
    out.flush();
    PrintWriter err = spec.commandLine().getErr();
    err.println(
        "kiln: "
            + config
            + form
            + " breaks the schema in "
            + errors.size()
            + (errors.size() == 1 ? " place" : " places"));
    err.flush();
    return Kiln.BAD_INPUT;
  }
}

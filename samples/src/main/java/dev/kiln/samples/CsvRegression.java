package dev.kiln.samples;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Csv;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.preprocessing.Normalization;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.optimizers.Adam;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Regression on a CSV file: the day's maximum temperature in Seattle from its minimum temperature,
 * precipitation and wind, with a {@link Normalization} layer adapted to the training rows.
 *
 * <p>Arguments: {@code [csv] [epochs]}; defaults {@code data/seattle-weather.csv} and 40.
 */
public final class CsvRegression {
  private CsvRegression() {}

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    Path file = Path.of(args.length > 0 ? args[0] : "data/seattle-weather.csv");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    Kiln.setRandomSeed(1);
    Csv.Data d = Csv.load(file, "temp_max", List.of("temp_min", "precipitation", "wind"));
    int n = d.features().length();
    int split = n * 4 / 5;
    Tensor xTrain = d.features().slice(0, split);
    Tensor yTrain = d.labels().slice(0, split);

    Normalization norm = new Normalization();
    norm.adapt(xTrain);
    Sequential model =
        new Sequential(
            Input.of(3), norm, new Dense(32, "relu"), new Dense(16, "relu"), new Dense(1));
    model.compile(new Adam(0.01), Losses.get("mse"), "mae");
    model.fit(xTrain, yTrain, new FitOptions().epochs(epochs).batchSize(32).verbose(2));

    Map<String, Double> test =
        model.evaluate(
            List.of(d.features().slice(split, n)),
            List.of(d.labels().slice(split, n)),
            new FitOptions().verbose(0));
    System.out.println(
        String.format(
            Locale.ROOT,
            "test_mae: %.3f degrees C (test_loss: %.3f)",
            test.get("mae"),
            test.get("loss")));
  }
}

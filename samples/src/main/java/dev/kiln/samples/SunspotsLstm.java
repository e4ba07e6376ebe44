package dev.kiln.samples;

import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Sequential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An LSTM forecaster on a real series: Wolf's yearly sunspot numbers (1700-2008). From the last 20
 * years it predicts the next one; it trains on the years up to 1947 and is scored on the 61 years
 * after, against the naive forecast "next year equals this year".
 *
 * <p>Arguments: {@code [csv] [epochs]}; defaults {@code data/sunspots.csv} and 150.
 */
public final class SunspotsLstm {
  private static final int WINDOW = 20;

  private SunspotsLstm() {}

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    Path csv = Path.of(args.length > 0 ? args[0] : "data/sunspots.csv");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 150;
    Kiln.setRandomSeed(7);

    List<Double> series = new ArrayList<>();
    for (String line : Files.readAllLines(csv)) {
      if (!line.isBlank() && Character.isDigit(line.charAt(0))) {
        series.add(Double.parseDouble(line.split(",")[1]));
      }
    }
    int split = series.size() - 61;
    double scale = 0;
    for (int i = 0; i < split; i++) {
      scale = Math.max(scale, series.get(i));
    }
    // Windows ending before the split train; those whose target lies after it test.
    Tensor[] train = windows(series, WINDOW, split, scale);
    Tensor[] test = windows(series, split, series.size(), scale);

    Sequential model =
        new Sequential(Input.of(WINDOW, 1), new LSTM(32), new Dense(16, "relu"), new Dense(1));
    model.summary();
    model.compile("adam", "mse");
    model.fit(train[0], train[1], new FitOptions().epochs(epochs).batchSize(32).verbose(0));

    float[] predicted = model.predict(test[0]).toFloatArray();
    float[] actual = test[1].toFloatArray();
    float[] last = test[2].toFloatArray();
    double lstmMae = 0;
    double naiveMae = 0;
    for (int i = 0; i < actual.length; i++) {
      lstmMae += Math.abs(predicted[i] - actual[i]) * scale;
      naiveMae += Math.abs(last[i] - actual[i]) * scale;
    }
    lstmMae /= actual.length;
    naiveMae /= actual.length;
    System.out.println(String.format(Locale.ROOT, "test_mae: %.2f", lstmMae));
    System.out.println(String.format(Locale.ROOT, "naive_last_value_mae: %.2f", naiveMae));
  }

  /**
   * Windows of {@code WINDOW} scaled values whose target (the next year) has an index in [from,
   * to): inputs (n, WINDOW, 1), targets (n, 1) and each window's last value (n, 1).
   */
  private static Tensor[] windows(List<Double> s, int from, int to, double scale) {
    int first = Math.max(from, WINDOW);
    int n = to - first;
    float[] x = new float[n * WINDOW];
    float[] y = new float[n];
    float[] last = new float[n];
    for (int i = 0; i < n; i++) {
      int target = first + i;
      for (int k = 0; k < WINDOW; k++) {
        x[i * WINDOW + k] = (float) (s.get(target - WINDOW + k) / scale);
      }
      y[i] = (float) (s.get(target) / scale);
      last[i] = x[i * WINDOW + WINDOW - 1];
    }
    return new Tensor[] {Tensor.of(x, n, WINDOW, 1), Tensor.of(y, n, 1), Tensor.of(last, n, 1)};
  }
}

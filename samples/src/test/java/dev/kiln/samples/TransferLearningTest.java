package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The TransferLearning sample end to end on a slice of MNIST (256 training and 256 test images, one
 * epoch per phase): it loads the shipped base without its top, trains, fine-tunes and prints both
 * accuracies. The slice is too small for the fine-tuned accuracy to be reliably higher; the README
 * records the full run's numbers.
 */
class TransferLearningTest {
  @Test
  void runsBothPhasesAndPrintsBothAccuracies() throws Exception {
    String out =
        run(() -> TransferLearning.main(new String[] {"256", "1", "1", "256", "../data/mnist"}));
    double before = value(out, "accuracy_before_fine_tuning");
    double after = value(out, "accuracy_after_fine_tuning");
    assertTrue(before >= 0 && before <= 1, out);
    assertTrue(after >= 0 && after <= 1, out);
    assertTrue(out.contains("test_accuracy: "), out);
  }

  static double value(String out, String key) {
    Matcher m = Pattern.compile("(?m)^" + key + ": ([0-9.]+)$").matcher(out);
    assertTrue(m.find(), "no line '" + key + ": X' in:\n" + out);
    return Double.parseDouble(m.group(1));
  }

  interface Main {
    void run() throws Exception;
  }

  static String run(Main main) throws Exception {
    PrintStream saved = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      main.run();
    } finally {
      System.setOut(saved);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    saved.print(out);
    return out;
  }
}

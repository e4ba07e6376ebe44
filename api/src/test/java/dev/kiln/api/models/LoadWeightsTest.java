package dev.kiln.api.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.saving.WeightsFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** loadWeights matches by the model's structure and says what differs when it does not fit. */
class LoadWeightsTest {
  private static Sequential mlp(int hidden, String... names) {
    Sequential m = new Sequential(Input.of(4));
    int[] units = {hidden, 3, 2};
    for (int i = 0; i < names.length; i++) {
      m.add(new Dense(units[i]).name(names[i]));
    }
    return m;
  }

  private static void assertHas(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), "missing <" + p + "> in: " + message);
    }
  }

  @Test
  void sameArchitectureWithOtherLayerNamesLoadsByOrder(@TempDir Path dir) throws Exception {
    Sequential a = mlp(8, "x", "y");
    Path file = dir.resolve("a.weights.npz");
    a.saveWeights(file);
    // The same architecture built again with shifted names: its "y" is the file's "x" in shape,
    // so matching by name would pair a (4, 8) kernel with an (8, 3) one.
    Sequential b = mlp(8, "y", "z");
    assertNotEquals(a.getWeights(), b.getWeights());
    b.loadWeights(file);
    assertEquals(a.getWeights(), b.getWeights());
    Tensor x = ModelTest.randomX(5, 4, 3);
    assertEquals(a.predict(x), b.predict(x));
  }

  @Test
  void aFrozenLayerDoesNotReorderTheWeights(@TempDir Path dir) throws Exception {
    Sequential a = mlp(8, "p", "q");
    Path file = dir.resolve("a.weights.npz");
    a.saveWeights(file);
    Sequential b = mlp(8, "r", "s");
    // Freezing the first layer puts its weights after the second's in weights(); the file's
    // order is the layers' order, so the pairing must not change.
    b.layers().get(0).setTrainable(false);
    b.loadWeights(file);
    Tensor x = ModelTest.randomX(5, 4, 7);
    assertEquals(a.predict(x), b.predict(x));
  }

  @Test
  void aFileWithTheModelsNamesInAnotherOrderIsMatchedByName(@TempDir Path dir) throws Exception {
    Sequential a = mlp(8, "n1", "n2");
    List<Weight> ws = a.weights();
    // Written in reverse (as a file from another tool or an older order might be): the names
    // are exactly the model's, so they decide.
    Map<String, Tensor> reversed = new LinkedHashMap<>();
    for (int i = ws.size() - 1; i >= 0; i--) {
      reversed.put(ws.get(i).path(), ws.get(i).read());
    }
    Path file = dir.resolve("reversed.weights.npz");
    WeightsFile.write(file, reversed);
    List<Tensor> saved = a.getWeights();
    Sequential b = mlp(8, "n1", "n2");
    b.loadWeights(file);
    assertEquals(saved, b.getWeights());
  }

  @Test
  void anotherArchitectureNamesTheWeightLayerAndShapes(@TempDir Path dir) throws Exception {
    Sequential a = mlp(8, "d1", "d2");
    Path file = dir.resolve("a.weights.npz");
    a.saveWeights(file);
    Sequential b = mlp(6, "e1", "e2");
    List<Tensor> before = b.getWeights();
    KilnException e = assertThrows(KilnException.class, () -> b.loadWeights(file));
    assertHas(
        e.getMessage(),
        file.toString(),
        "weight #0, 'e1/kernel' of layer #0 \"e1\" (Dense), has shape (4, 6)",
        "the file's weight #0 'd1/kernel' has shape (4, 8)");
    // Nothing was loaded: a failed load leaves the model as it was.
    assertEquals(before, b.getWeights());
  }

  @Test
  void aSmallerModelNamesTheFilesExtraWeights(@TempDir Path dir) throws Exception {
    Sequential big = mlp(8, "u", "v", "w");
    Path file = dir.resolve("big.weights.npz");
    big.saveWeights(file);
    // Same names for the first two layers: matching by name alone would load them and drop w.
    Sequential small = mlp(8, "u", "v");
    KilnException e = assertThrows(KilnException.class, () -> small.loadWeights(file));
    assertHas(
        e.getMessage(),
        file.toString(),
        "holds 6 weights but model \"" + small.name() + "\" has 4",
        "extra weights: ['w/kernel' (3, 2), 'w/bias' (2,)]");
    // With other names the extra ones are those past the model's count.
    Sequential other = mlp(8, "g", "h");
    KilnException e2 = assertThrows(KilnException.class, () -> other.loadWeights(file));
    assertHas(e2.getMessage(), "extra weights: ['w/kernel' (3, 2), 'w/bias' (2,)]");
  }

  @Test
  void aLargerModelNamesItsWeightsTheFileLacks(@TempDir Path dir) throws Exception {
    Sequential small = mlp(8, "k", "l");
    Path file = dir.resolve("small.weights.npz");
    small.saveWeights(file);
    Sequential big = mlp(8, "k", "l", "m");
    KilnException e = assertThrows(KilnException.class, () -> big.loadWeights(file));
    assertHas(
        e.getMessage(),
        "holds 4 weights but model \"" + big.name() + "\" has 6",
        "no value in the file: ['m/kernel' of layer #2 \"m\" (Dense) (3, 2),"
            + " 'm/bias' of layer #2 \"m\" (Dense) (2,)]");
  }

  @Test
  void anUnbuiltModelSaysHowToBuildIt(@TempDir Path dir) throws Exception {
    Sequential a = mlp(8, "i1", "i2");
    Path file = dir.resolve("a.weights.npz");
    a.saveWeights(file);
    Sequential unbuilt = new Sequential(new Dense(8), new Dense(3));
    KilnException e = assertThrows(KilnException.class, () -> unbuilt.loadWeights(file));
    assertHas(
        e.getMessage(),
        "model \"" + unbuilt.name() + "\" is not built",
        "4 arrays of weights file " + file,
        "Input.of(",
        "inputShape(",
        "predictOnBatch");
    // Built with an input shape, the same model loads the file.
    Sequential built = new Sequential(new Dense(8).inputShape(4), new Dense(3));
    built.loadWeights(file);
    assertEquals(a.getWeights(), built.getWeights());
  }
}

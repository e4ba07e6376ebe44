package dev.kiln.api.saving;

import static dev.kiln.api.saving.FilesTestSupport.assertHas;
import static dev.kiln.api.saving.FilesTestSupport.listing;
import static dev.kiln.api.saving.FilesTestSupport.randomX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.rnn.GRU;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import dev.kiln.spi.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TF.js layers models: round trips, the real samples against TF.js, and hostile manifests. */
class TfjsModelTest {
  @Test
  void aModelRoundTripsThroughATfjsFolder(@TempDir Path dir) throws Exception {
    Sequential a = new Sequential(Input.of(4), new Dense(5, "relu"), new Dense(2));
    Path folder = dir.resolve("web");
    a.save(folder);
    assertEquals(List.of("group1-shard1of1.bin", "model.json"), listing(folder));
    Map<String, Object> json = TfjsModel.readJson(folder);
    assertEquals("layers-model", json.get("format"));
    assertEquals("Kiln", json.get("generatedBy"));
    assertTrue(json.containsKey("convertedBy"));
    assertNull(json.get("convertedBy"));
    Map<String, Object> topology = TfjsModel.topology(json, folder);
    assertEquals("Sequential", topology.get("class_name"));
    String text = Files.readString(folder.resolve("model.json"));
    assertTrue(text.contains("\"batch_input_shape\":[null,4]"), text);
    assertTrue(!text.contains("\"module\""), text);
    // Built again in the same program: other layer names, so the weights pair by order.
    Sequential b = new Sequential(Input.of(4), new Dense(5, "relu"), new Dense(2));
    b.loadWeights(folder.resolve("model.json"));
    assertEquals(a.getWeights(), b.getWeights());
    Tensor x = randomX(3, 4, 5);
    assertEquals(a.predict(x), b.predict(x));
  }

  @Test
  void aMixedPrecisionModelExportsAsFloat32(@TempDir Path dir) throws Exception {
    Sequential a =
        new Sequential(
            Input.of(4),
            new Dense(5, "relu").dtypePolicy("mixed_float16"),
            new Dense(2).dtypePolicy("mixed_bfloat16"));
    Path folder = dir.resolve("mixed");
    a.save(folder);
    String text = Files.readString(folder.resolve("model.json"));
    assertTrue(!text.contains("mixed_") && !text.contains("DTypePolicy"), text);
    Map<String, Object> json = TfjsModel.readJson(folder);
    for (Object e : weightEntries(json)) {
      assertEquals("float32", ((Map<?, ?>) e).get("dtype"), e.toString());
    }
    // Read back in float32: the same weights, and outputs within half precision of the mixed ones.
    Model b = ModelFiles.load(folder.resolve("model.json"));
    for (dev.kiln.api.layers.Layer l : b.layers()) {
      assertEquals(dev.kiln.api.DTypePolicy.FLOAT32, l.dtypePolicy(), l.name());
    }
    assertEquals(a.getWeights(), b.getWeights());
    Tensor x = randomX(3, 4, 5);
    float[] mixed = a.predict(x).toFloatArray();
    float[] full = b.predict(x).toFloatArray();
    for (int i = 0; i < full.length; i++) {
      assertEquals(full[i], mixed[i], 0.02 * Math.max(1, Math.abs(full[i])), "output " + i);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Object> weightEntries(Map<String, Object> json) {
    List<Object> out = new java.util.ArrayList<>();
    for (Object group : (List<Object>) json.get("weightsManifest")) {
      out.addAll((List<Object>) ((Map<String, Object>) group).get("weights"));
    }
    return out;
  }

  @Test
  void weightsAreCutIntoShardsOfFourMebibytes(@TempDir Path dir) throws Exception {
    // 1000 * 1100 floats = 4.4 MB: two shards, the kernel straddling them.
    Sequential a = new Sequential(Input.of(1000), new Dense(1100));
    Path file = dir.resolve("big").resolve("model.json");
    a.save(file);
    assertEquals(
        List.of("group1-shard1of2.bin", "group1-shard2of2.bin", "model.json"),
        listing(file.getParent()));
    assertEquals(4 << 20, Files.size(file.getParent().resolve("group1-shard1of2.bin")));
    Sequential b = new Sequential(Input.of(1000), new Dense(1100));
    TfjsModel.loadWeights(b, file);
    assertEquals(a.getWeights(), b.getWeights());
  }

  @SuppressWarnings("unchecked")
  private static void assertLikeTfjs(String sample, Model m) throws Exception {
    Map<String, Object> g = GoldenJson.obj(GoldenJson.resource("/golden/tfjs-files.json"), sample);
    List<List<Number>> in = (List<List<Number>>) g.get("input");
    List<List<Number>> out = (List<List<Number>>) g.get("output");
    float[] xv = new float[in.size() * in.get(0).size()];
    for (int i = 0; i < in.size(); i++) {
      for (int j = 0; j < in.get(0).size(); j++) {
        xv[i * in.get(0).size() + j] = in.get(i).get(j).floatValue();
      }
    }
    Tensor x = Tensor.of(xv, in.size(), in.get(0).size());
    if (m.inputs().get(0).dtype() == DType.INT32) {
      x = x.cast(DType.INT32);
    }
    float[] y = m.predict(x).toFloatArray();
    int k = 0;
    for (List<Number> row : out) {
      for (Number v : row) {
        double e = v.doubleValue();
        assertEquals(e, y[k], 1e-5 * Math.max(1e-2, Math.abs(e)), sample + " output " + k);
        k++;
      }
    }
  }

  @Test
  void theSamplesWithWeightsGiveTfjsOutputs(@TempDir Path dir) throws Exception {
    Path abalone = dir.resolve("abalone");
    Files.createDirectories(abalone);
    FilesTestSupport.sample(abalone, "tfjs-layers/tfjs-examples_abalone/model.json");
    FilesTestSupport.sample(abalone, "tfjs-layers/tfjs-examples_abalone/weights.bin");
    Sequential a =
        new Sequential(
            Input.of(8), new Dense(50, "sigmoid"), new Dense(50, "sigmoid"), new Dense(1));
    a.loadWeights(abalone.resolve("model.json"));
    assertLikeTfjs("tfjs-examples_abalone", a);
    // The whole model too: its TF.js topology built through the config reader, then its weights.
    assertLikeTfjs("tfjs-examples_abalone", ModelFiles.load(abalone.resolve("model.json")));

    Path rn = dir.resolve("rn");
    Files.createDirectories(rn);
    FilesTestSupport.sample(rn, "tfjs-layers/tfjs_rn_bundle_model/bundle_model_test.json");
    FilesTestSupport.sample(rn, "tfjs-layers/tfjs_rn_bundle_model/bundle_model_test_weights.bin");
    Sequential r = new Sequential(Input.of(10), new Dense(1));
    r.loadWeights(rn.resolve("bundle_model_test.json"));
    assertLikeTfjs("tfjs_rn_bundle_model", r);
  }

  /**
   * The Embedding + GRU sample, with its GRU's recurrent activation run as sigmoid on both sides:
   * its hard_sigmoid is TF.js's (Keras 2's clip(0.2x + 0.5)), not Keras 3's relu6(x + 3) / 6 that
   * Kiln's "hard_sigmoid" computes, so the golden file swaps it to check the weights alone.
   */
  @Test
  void theEmbeddingGruSampleGivesTfjsOutputs(@TempDir Path dir) throws Exception {
    Path e2e = dir.resolve("e2e");
    Files.createDirectories(e2e);
    FilesTestSupport.sample(e2e, "tfjs-layers/tfjs_e2e_layers_model/model.json");
    FilesTestSupport.sample(e2e, "tfjs-layers/tfjs_e2e_layers_model/weights.bin");
    Sequential m =
        new Sequential(
            Input.of(DType.INT32, 10),
            new Embedding(100, 20),
            new GRU(4).recurrentActivation("sigmoid").resetAfter(false).goBackwards(true));
    m.loadWeights(e2e.resolve("model.json"));
    assertLikeTfjs("tfjs_e2e_layers_model_sigmoid", m);
  }

  /** A model.json of one group whose shard holds {@code data}. */
  private static Path manifest(Path dir, String shard, String weights, byte[] data)
      throws Exception {
    Files.createDirectories(dir);
    Path file = dir.resolve("model.json");
    Files.writeString(
        file,
        "{\"format\":\"layers-model\",\"modelTopology\":{\"class_name\":\"Sequential\",\"config\":{}},"
            + "\"weightsManifest\":[{\"paths\":[\""
            + shard
            + "\"],\"weights\":["
            + weights
            + "]}]}");
    if (data != null) {
      Files.write(dir.resolve("w.bin"), data);
    }
    return file;
  }

  @Test
  void quantizedAndHalfPrecisionWeightsDecode(@TempDir Path dir) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(3 + 4 + 4 + 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0).put((byte) 3).put((byte) 255); // uint8 -> q * 0.5 - 1
    b.putShort((short) 1).putShort((short) 40000); // uint16 -> q * 0.25 + 2
    b.putShort((short) 7).putShort((short) 8); // uint8-as-int32 original: rounded
    b.putShort(Float.floatToFloat16(-2.5f)); // float16
    // The int32 entry is uint16-quantized with scale 0.3: 7*0.3+1 = 3.1 -> 3, 8*0.3+1 = 3.4 -> 3.
    Path file =
        manifest(
            dir,
            "w.bin",
            "{\"name\":\"a\",\"shape\":[3],\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\","
                + "\"scale\":0.5,\"min\":-1,\"original_dtype\":\"float32\"}},"
                + "{\"name\":\"b\",\"shape\":[2],\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint16\","
                + "\"scale\":0.25,\"min\":2}},"
                + "{\"name\":\"c\",\"shape\":[2],\"dtype\":\"int32\",\"quantization\":{\"dtype\":\"uint16\","
                + "\"scale\":0.3,\"min\":1,\"original_dtype\":\"int32\"}},"
                + "{\"name\":\"d\",\"shape\":[1,1],\"dtype\":\"float32\",\"quantization\":"
                + "{\"dtype\":\"float16\",\"original_dtype\":\"float32\"}}",
            b.array());
    Map<String, Tensor> w = TfjsModel.decode(file, TfjsModel.readJson(file));
    assertArrayEquals(new float[] {-1f, 0.5f, 126.5f}, w.get("a").toFloatArray());
    assertArrayEquals(new float[] {2.25f, 10002f}, w.get("b").toFloatArray());
    assertEquals(DType.INT32, w.get("c").dtype());
    assertArrayEquals(new int[] {3, 3}, w.get("c").toIntArray());
    assertArrayEquals(new int[] {1, 1}, w.get("d").dims());
    assertArrayEquals(new float[] {-2.5f}, w.get("d").toFloatArray());
  }

  @Test
  void shardPathsThatLeaveTheFolderAreRefused(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("secret.bin"), new byte[4]);
    String entry = "{\"name\":\"a\",\"shape\":[1],\"dtype\":\"float32\"}";
    for (String shard :
        new String[] {
          "../secret.bin", dir.resolve("secret.bin").toString(), "x/../../secret.bin"
        }) {
      Path file = manifest(dir.resolve("m"), shard, entry, null);
      KilnException e =
          assertThrows(
              KilnException.class, () -> TfjsModel.decode(file, TfjsModel.readJson(file)), shard);
      assertHas(e.getMessage(), shard, "out of the model's folder");
    }
    Path link = dir.resolve("m").resolve("link.bin");
    Files.createSymbolicLink(link, dir.resolve("secret.bin"));
    Path file = manifest(dir.resolve("m"), "link.bin", entry, null);
    assertHas(
        assertThrows(KilnException.class, () -> TfjsModel.decode(file, TfjsModel.readJson(file)))
            .getMessage(),
        "outside the model's folder");
  }

  @Test
  void missingAndShortShardsAreClearErrors(@TempDir Path dir) throws Exception {
    String entry = "{\"name\":\"a\",\"shape\":[3],\"dtype\":\"float32\"}";
    Path file = manifest(dir, "w.bin", entry, new byte[8]);
    assertHas(
        assertThrows(KilnException.class, () -> TfjsModel.decode(file, TfjsModel.readJson(file)))
            .getMessage(),
        "hold 8 bytes but its weights need 12");
    Files.delete(dir.resolve("w.bin"));
    assertHas(
        assertThrows(KilnException.class, () -> TfjsModel.decode(file, TfjsModel.readJson(file)))
            .getMessage(),
        "shard 'w.bin'",
        "missing");
    Files.writeString(file, "{\"modelTopology\": [");
    assertHas(
        assertThrows(KilnException.class, () -> TfjsModel.readJson(file)).getMessage(),
        "not valid JSON");
  }

  @Test
  void aShapeMismatchNamesTheWeightAndBothShapes(@TempDir Path dir) throws Exception {
    Sequential a = new Sequential(Input.of(4), new Dense(5), new Dense(2));
    a.save(dir.resolve("model.json"));
    Sequential b = new Sequential(Input.of(4), new Dense(6), new Dense(2));
    List<Tensor> before = b.getWeights();
    KilnException e =
        assertThrows(KilnException.class, () -> b.loadWeights(dir.resolve("model.json")));
    assertHas(e.getMessage(), b.layers().get(0).name() + "/kernel", "(4, 6)", "(4, 5)");
    assertEquals(before, b.getWeights());
  }
}

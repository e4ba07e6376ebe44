package dev.kiln.samples;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.attention.MultiHeadAttention;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.merging.Add;
import dev.kiln.api.layers.normalization.LayerNormalization;
import dev.kiln.api.layers.pooling.GlobalAveragePooling1D;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.spi.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A small transformer that tells which fortune file a text comes from: five topics of the BSD
 * fortune collection (computers, food, law, sports, love), 145 texts each. Words are ids in a
 * vocabulary of the training texts; a token embedding plus a learned position embedding feed one
 * MultiHeadAttention block with a residual connection and LayerNormalization, then masked average
 * pooling and a softmax. It is scored on a held-out fifth against the majority-class baseline.
 *
 * <p>Arguments: {@code [fortunes dir] [epochs]}; defaults {@code data/fortunes} and 30.
 */
public final class TopicTransformer {
  private static final String[] TOPICS = {"computers", "food", "law", "sports", "love"};
  private static final int PER_TOPIC = 145;
  private static final int LENGTH = 48;
  private static final int VOCAB = 3000;

  private TopicTransformer() {}

  private record Text(List<String> words, int topic) {}

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "data/fortunes");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    Kiln.setRandomSeed(3);

    List<Text> train = new ArrayList<>();
    List<Text> test = new ArrayList<>();
    Random r = new Random(11);
    for (int t = 0; t < TOPICS.length; t++) {
      List<Text> texts = new ArrayList<>();
      String all = Files.readString(dir.resolve(TOPICS[t]), StandardCharsets.ISO_8859_1);
      for (String s : all.split("\n%\n")) {
        List<String> words = words(s);
        if (words.size() >= 3) {
          texts.add(new Text(words, t));
        }
      }
      Collections.shuffle(texts, r);
      List<Text> some = texts.subList(0, Math.min(PER_TOPIC, texts.size()));
      int cut = some.size() * 4 / 5;
      train.addAll(some.subList(0, cut));
      test.addAll(some.subList(cut, some.size()));
    }
    Map<String, Integer> vocab = vocabulary(train);

    KerasTensor tokens = Input.of(DType.INT32, LENGTH);
    KerasTensor positions = Input.of(DType.INT32, LENGTH);
    KerasTensor x =
        new Add()
            .apply(
                new Embedding(VOCAB + 2, 32).maskZero(true).apply(tokens),
                new Embedding(LENGTH, 32).apply(positions));
    KerasTensor attended = new MultiHeadAttention(2, 16).apply(x, x);
    x = new LayerNormalization().apply(new Add().apply(x, new Dropout(0.1).apply(attended)));
    KerasTensor h = new Dense(32, "relu").apply(x);
    x = new LayerNormalization().apply(new Add().apply(x, new Dense(32).apply(h)));
    x = new GlobalAveragePooling1D().apply(x);
    x = new Dropout(0.2).apply(x);
    Model model = Model.of(List.of(tokens, positions), List.of(new Dense(5, "softmax").apply(x)));
    model.summary();
    model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
    model.fit(
        List.of(ids(train, vocab), positions(train.size())),
        List.of(labels(train)),
        new FitOptions().epochs(epochs).batchSize(32).verbose(0));

    Map<String, Double> scores =
        model.evaluate(
            List.of(ids(test, vocab), positions(test.size())),
            List.of(labels(test)),
            new FitOptions().verbose(0));
    int[] counts = new int[TOPICS.length];
    for (Text t : test) {
      counts[t.topic()]++;
    }
    int majority = 0;
    for (int c : counts) {
      majority = Math.max(majority, c);
    }
    System.out.println(String.format(Locale.ROOT, "test_accuracy: %.4f", scores.get("accuracy")));
    System.out.println(
        String.format(Locale.ROOT, "majority_baseline: %.4f", majority / (double) test.size()));
  }

  private static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z']+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  /** The VOCAB most frequent training words: ids 2.. (0 pads, 1 is any other word). */
  private static Map<String, Integer> vocabulary(List<Text> texts) {
    Map<String, Integer> freq = new HashMap<>();
    for (Text t : texts) {
      for (String w : t.words()) {
        freq.merge(w, 1, Integer::sum);
      }
    }
    List<Map.Entry<String, Integer>> byCount = new ArrayList<>(freq.entrySet());
    byCount.sort(
        (a, b) ->
            a.getValue().equals(b.getValue())
                ? a.getKey().compareTo(b.getKey())
                : b.getValue() - a.getValue());
    Map<String, Integer> vocab = new HashMap<>();
    for (int i = 0; i < Math.min(VOCAB, byCount.size()); i++) {
      vocab.put(byCount.get(i).getKey(), i + 2);
    }
    return vocab;
  }

  private static Tensor ids(List<Text> texts, Map<String, Integer> vocab) {
    int[] v = new int[texts.size() * LENGTH];
    for (int i = 0; i < texts.size(); i++) {
      List<String> w = texts.get(i).words();
      for (int k = 0; k < Math.min(LENGTH, w.size()); k++) {
        v[i * LENGTH + k] = vocab.getOrDefault(w.get(k), 1);
      }
    }
    return Tensor.of(v, texts.size(), LENGTH);
  }

  private static Tensor positions(int n) {
    int[] v = new int[n * LENGTH];
    for (int i = 0; i < v.length; i++) {
      v[i] = i % LENGTH;
    }
    return Tensor.of(v, n, LENGTH);
  }

  private static Tensor labels(List<Text> texts) {
    int[] v = new int[texts.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = texts.get(i).topic();
    }
    return Tensor.of(v, v.length);
  }
}

package dev.kiln.api.models;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerCall;
import dev.kiln.api.layers.Weight;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders Keras's model summary table with box-drawing characters. */
final class Summary {
  private Summary() {}

  static String render(Model m) {
    boolean conn = m.summaryConnections();
    String[] head =
        conn
            ? new String[] {"Layer (type)", "Output Shape", "Param #", "Connected to"}
            : new String[] {"Layer (type)", "Output Shape", "Param #"};
    int[] w = conn ? new int[] {29, 24, 13, 22} : new int[] {33, 24, 13};
    List<String[]> rows = m.summaryRows();
    for (String[] r : rows) {
      for (int i = 0; i < w.length; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append("Model: \"").append(m.name()).append("\"\n");
    sb.append(line('\u250f', '\u2501', '\u2533', '\u2513', w));
    sb.append(row('\u2503', head, w));
    sb.append(line('\u2521', '\u2501', '\u2547', '\u2529', w));
    for (int i = 0; i < rows.size(); i++) {
      sb.append(row('\u2502', rows.get(i), w));
      if (i < rows.size() - 1) {
        sb.append(line('\u251c', '\u2500', '\u253c', '\u2524', w));
      }
    }
    sb.append(line('\u2514', '\u2500', '\u2534', '\u2518', w));
    long trainable = 0;
    long non = 0;
    for (Weight x : m.weights()) {
      if (x.trainable()) {
        trainable += x.size();
      } else {
        non += x.size();
      }
    }
    sb.append(" Total params: ").append(count(trainable + non)).append('\n');
    sb.append(" Trainable params: ").append(count(trainable)).append('\n');
    sb.append(" Non-trainable params: ").append(count(non)).append('\n');
    return sb.toString();
  }

  private static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n) + " (" + bytes(n * 4) + ")";
  }

  static String bytes(long b) {
    String[] units = {"B", "KB", "MB", "GB", "TB"};
    double v = b;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
  }

  private static String line(char l, char fill, char mid, char r, int[] w) {
    StringBuilder sb = new StringBuilder().append(l);
    for (int i = 0; i < w.length; i++) {
      sb.append(String.valueOf(fill).repeat(w[i] + 2)).append(i == w.length - 1 ? r : mid);
    }
    return sb.append('\n').toString();
  }

  private static String row(char bar, String[] cells, int[] w) {
    StringBuilder sb = new StringBuilder().append(bar);
    for (int i = 0; i < w.length; i++) {
      String c = cells[i];
      // Keras right-aligns the parameter counts.
      String fill = " ".repeat(w[i] - c.length());
      String padded = i == 2 ? fill + c : c + fill;
      sb.append(' ').append(padded).append(' ').append(bar);
    }
    return sb.append('\n').toString();
  }

  /** Rows of a graph's summary: layer, output shape, params, connected to. */
  static List<String[]> rows(List<Layer> layers, List<LayerCall> order) {
    List<String[]> rows = new ArrayList<>();
    for (Layer l : layers) {
      String shape = "?";
      List<String> connected = new ArrayList<>();
      for (LayerCall c : l.calls()) {
        if (order.contains(c) || c.inputs().isEmpty()) {
          shape = c.outputs().size() == 1 ? c.outputs().get(0).shape().toString() : outShapes(c);
          for (KerasTensor in : c.inputs()) {
            connected.add(in.layer().name() + "[" + in.callIndex() + "][" + in.tensorIndex() + "]");
          }
        }
      }
      rows.add(
          new String[] {
            l.name() + " (" + l.className() + ")",
            shape,
            String.format("%,d", l.countParams()),
            connected.isEmpty() ? "-" : String.join(", ", connected)
          });
    }
    return rows;
  }

  private static String outShapes(LayerCall c) {
    List<String> s = new ArrayList<>();
    for (KerasTensor t : c.outputs()) {
      s.add(t.shape().toString());
    }
    return String.join(", ", s);
  }
}

package dev.kiln.spi.ir;

import java.util.Map;

/**
 * Prints graphs as text, one node per line, for debugging and error messages:
 *
 * <pre>
 * graph(%0: float32(2, 3), %1: float32(3, 4)) {
 *   %2: float32(2, 4) = matmul(%0, %1) {transpose_a=false, transpose_b=false}
 *   return %2
 * }
 * </pre>
 */
public final class GraphPrinter {
  private GraphPrinter() {}

  /** The whole graph, scan bodies indented under their node. */
  public static String print(Graph g) {
    StringBuilder b = new StringBuilder();
    print(g, b, "");
    return b.toString();
  }

  /** One node, as its line in a dump. */
  public static String describe(Node n) {
    StringBuilder b = new StringBuilder();
    line(n, b);
    return b.toString();
  }

  private static void print(Graph g, StringBuilder b, String indent) {
    b.append(indent).append("graph(");
    for (int i = 0; i < g.inputs().size(); i++) {
      Value v = g.inputs().get(i);
      b.append(i > 0 ? ", " : "").append(v).append(": ").append(v.type());
    }
    b.append(") {\n");
    for (Node n : g.nodes()) {
      if (n.op() instanceof SourceOp.Parameter) {
        continue;
      }
      b.append(indent).append("  ");
      line(n, b);
      b.append('\n');
      if (n.op() instanceof ControlFlowOp.Scan s) {
        print(s.body(), b, indent + "    ");
      }
    }
    for (Map.Entry<String, Value> u : g.updates().entrySet()) {
      b.append(indent)
          .append("  update ")
          .append(u.getKey())
          .append(" = ")
          .append(u.getValue())
          .append('\n');
    }
    b.append(indent).append("  return");
    for (int i = 0; i < g.outputs().size(); i++) {
      b.append(i > 0 ? ", " : " ").append(g.outputs().get(i));
    }
    b.append('\n').append(indent).append("}\n");
  }

  private static void line(Node n, StringBuilder b) {
    for (int i = 0; i < n.outputs().size(); i++) {
      Value v = n.outputs().get(i);
      b.append(i > 0 ? ", " : "").append(v).append(": ").append(v.type());
    }
    b.append(" = ").append(n.op().name()).append('(');
    for (int i = 0; i < n.inputs().size(); i++) {
      b.append(i > 0 ? ", " : "").append(n.inputs().get(i));
    }
    b.append(')');
    String attrs = n.op().attributes();
    if (!attrs.isEmpty()) {
      b.append(" {").append(attrs).append('}');
    }
  }
}

package dev.kiln.spi.autodiff;

import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.GraphPrinter;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode automatic differentiation on the IR. Gradients are new nodes appended to the same
 * builder, written with ordinary ops by {@link GradientRules}, so a backend runs them as it runs
 * any other op.
 *
 * {@snippet :
 * Value loss = b.sumAll(b.square(b.sub(b.matmul(x, w), y)));
 * Value dw = Autodiff.gradients(b, loss, List.of(w)).get(0);
 * }
 */
public final class Autodiff {
  private Autodiff() {}

  /**
   * The gradients of a scalar {@code loss} with respect to each of {@code wrt}.
   *
   * @return one gradient per {@code wrt}, shaped like it; zeros where the loss does not depend on
   *     it
   * @throws IllegalArgumentException if the loss is not a floating-point scalar or a {@code wrt} is
   *     not floating-point
   * @throws MissingGradientException if a node on the path has no gradient rule
   */
  public static List<Value> gradients(GraphBuilder b, Value loss, List<Value> wrt) {
    if (loss.rank() != 0 || !loss.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "gradients need a floating-point scalar loss; received " + loss + ": " + loss.type());
    }
    return vjp(b, List.of(loss), List.of(b.onesLike(loss)), wrt);
  }

  /**
   * The vector-Jacobian product: the gradient of {@code sum_i <outputs[i], cotangents[i]>} with
   * respect to each of {@code wrt}. A null cotangent counts as zeros.
   *
   * @throws MissingGradientException if a node on the path has no gradient rule
   */
  public static List<Value> vjp(
      GraphBuilder b, List<Value> outputs, List<Value> cotangents, List<Value> wrt) {
    for (Value w : wrt) {
      if (!w.dtype().isFloating()) {
        throw new IllegalArgumentException(
            "cannot differentiate with respect to "
                + w
                + ": "
                + w.type()
                + " is not floating-point");
      }
    }
    List<Node> nodes = b.nodes();
    Set<Node> relevant = relevantNodes(nodes, outputs, wrt);
    Map<Value, Value> grads = new HashMap<>();
    for (int i = 0; i < outputs.size(); i++) {
      if (cotangents.get(i) != null) {
        accumulate(b, grads, outputs.get(i), cotangents.get(i));
      }
    }
    Map<Value, List<Node>> slicedBy = new HashMap<>();
    Map<Node, Value> sliceGrads = new HashMap<>();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      if (!relevant.contains(n) || n.inputs().isEmpty()) {
        continue;
      }
      for (Value o : n.outputs()) {
        joinSlices(b, grads, o, slicedBy, sliceGrads);
      }
      if (n.op() instanceof ShapeOp.Slice
          && grads.get(n.output()) != null
          && n.inputs().get(0).dtype().isFloating()) {
        // Held until every consumer of the input is done: slices that tile it are joined by one
        // concat rather than each padded to full size and added up.
        slicedBy.computeIfAbsent(n.inputs().get(0), k -> new ArrayList<>()).add(n);
        sliceGrads.put(n, grads.get(n.output()));
        continue;
      }
      List<Value> gOut = new ArrayList<>(n.outputs().size());
      boolean any = false;
      for (Value o : n.outputs()) {
        Value g = grads.get(o);
        any |= g != null;
        gOut.add(g);
      }
      if (!any) {
        continue;
      }
      for (int k = 0; k < gOut.size(); k++) {
        if (gOut.get(k) == null && n.outputs().get(k).dtype().isFloating()) {
          gOut.set(k, b.zerosLike(n.outputs().get(k)));
        }
      }
      List<Value> gIn;
      try {
        gIn = GradientRules.vjp(b, n, gOut);
      } catch (MissingGradientException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            "the gradient rule of "
                + n.op().name()
                + " failed at node: "
                + GraphPrinter.describe(n),
            e);
      }
      for (int k = 0; k < n.inputs().size(); k++) {
        Value in = n.inputs().get(k);
        Value g = gIn.get(k);
        if (g != null && in.dtype().isFloating()) {
          if (!g.type().equals(in.type())) {
            throw new IllegalStateException(
                "the gradient rule of "
                    + n.op().name()
                    + " gave "
                    + g.type()
                    + " for operand "
                    + k
                    + " of type "
                    + in.type());
          }
          accumulate(b, grads, in, g);
        }
      }
    }
    List<Value> result = new ArrayList<>(wrt.size());
    for (Value w : wrt) {
      joinSlices(b, grads, w, slicedBy, sliceGrads);
      Value g = grads.get(w);
      result.add(g != null ? g : b.zerosLike(w));
    }
    return result;
  }

  /**
   * Adds the held gradients of the slices of {@code x} to its gradient: one concat where the slices
   * tile {@code x} along one axis (an LSTM's four gates), else each slice's gradient padded to
   * {@code x}'s shape.
   */
  private static void joinSlices(
      GraphBuilder b,
      Map<Value, Value> grads,
      Value x,
      Map<Value, List<Node>> slicedBy,
      Map<Node, Value> sliceGrads) {
    List<Node> slices = slicedBy.remove(x);
    if (slices == null) {
      return;
    }
    int axis = tilingAxis(x, slices);
    if (axis >= 0) {
      List<Node> ordered = new ArrayList<>(slices);
      ordered.sort(java.util.Comparator.comparingInt(s -> ((ShapeOp.Slice) s.op()).begin()[axis]));
      Value[] parts = new Value[ordered.size()];
      for (int i = 0; i < parts.length; i++) {
        parts[i] = sliceGrads.get(ordered.get(i));
      }
      accumulate(b, grads, x, b.concat(axis, parts));
      return;
    }
    for (Node s : slices) {
      accumulate(b, grads, x, GradientRules.vjp(b, s, List.of(sliceGrads.get(s))).get(0));
    }
  }

  /**
   * The axis along which {@code slices} cover {@code x} exactly once, each whole along every other
   * axis; -1 if they do not.
   */
  private static int tilingAxis(Value x, List<Node> slices) {
    if (slices.size() < 2) {
      return -1;
    }
    int[] dims = x.shape().dims();
    int axis = -1;
    for (Node s : slices) {
      int[] begin = ((ShapeOp.Slice) s.op()).begin();
      int[] size = s.output().shape().dims();
      for (int d = 0; d < dims.length; d++) {
        if (begin[d] != 0 || size[d] != dims[d]) {
          if (axis >= 0 && axis != d) {
            return -1;
          }
          axis = d;
        }
      }
    }
    if (axis < 0) {
      return -1;
    }
    int a = axis;
    List<Node> ordered = new ArrayList<>(slices);
    ordered.sort(java.util.Comparator.comparingInt(s -> ((ShapeOp.Slice) s.op()).begin()[a]));
    int next = 0;
    for (Node s : ordered) {
      if (((ShapeOp.Slice) s.op()).begin()[a] != next) {
        return -1;
      }
      next += s.output().shape().dim(a);
    }
    return next == dims[a] ? a : -1;
  }

  private static void accumulate(GraphBuilder b, Map<Value, Value> grads, Value v, Value g) {
    Value prev = grads.get(v);
    grads.put(v, prev == null ? g : b.add(prev, g));
  }

  /**
   * Nodes on some path from a {@code wrt} value to an output: only these need gradients, and only
   * these are checked for rules, so a non-differentiable op off the path is no error.
   */
  private static Set<Node> relevantNodes(List<Node> nodes, List<Value> outputs, List<Value> wrt) {
    Set<Value> fromWrt = new HashSet<>(wrt);
    Set<Node> forward = new HashSet<>();
    for (Node n : nodes) {
      boolean hit = false;
      for (Value in : n.inputs()) {
        hit |= fromWrt.contains(in);
      }
      if (hit) {
        forward.add(n);
        fromWrt.addAll(n.outputs());
      }
    }
    Set<Value> toOut = new HashSet<>(outputs);
    Set<Node> relevant = new HashSet<>();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      boolean hit = false;
      for (Value o : n.outputs()) {
        hit |= toOut.contains(o);
      }
      if (hit) {
        toOut.addAll(n.inputs());
        if (forward.contains(n)) {
          relevant.add(n);
        }
      }
    }
    return relevant;
  }
}

package dev.kiln.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Op;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every op of the sealed IR hierarchy has a case in the conformance kit, so a new op fails here
 * until it has one. The compiler already names each switch that forgot the op (the backends'
 * lowering, the gradient rules, the reference evaluator); this names the tests that did.
 */
class OpCoverageTest {

  /** Every op record, found through the sealed families. */
  static List<Class<?>> leafOps() {
    List<Class<?>> out = new ArrayList<>();
    collect(Op.class, out);
    return out;
  }

  private static void collect(Class<?> c, List<Class<?>> out) {
    if (c.isSealed()) {
      for (Class<?> s : c.getPermittedSubclasses()) {
        collect(s, out);
      }
    } else {
      out.add(c);
    }
  }

  private static void opsIn(Graph g, Set<Class<?>> seen) {
    for (Node n : g.nodes()) {
      seen.add(n.op().getClass());
      if (n.op() instanceof ControlFlowOp.Scan s) {
        opsIn(s.body(), seen);
      }
    }
  }

  private static Set<String> missing(Set<Class<?>> seen, Set<String> exempt) {
    Set<String> missing = new TreeSet<>();
    for (Class<?> c : leafOps()) {
      String name = c.getEnclosingClass().getSimpleName() + "." + c.getSimpleName();
      if (!seen.contains(c) && !exempt.contains(name)) {
        missing.add(name);
      }
    }
    return missing;
  }

  @Test
  void everyOpHasAForwardCase() {
    Set<Class<?>> seen = new HashSet<>();
    OpCases.all().forEach(c -> opsIn(c.graph(), seen));
    WholeGraphs.all().forEach(s -> opsIn(s.step(), seen));
    assertEquals(Set.of(), missing(seen, Set.of()), "ops without a case in OpCases");
  }

  @Test
  void everyDifferentiableOpHasAGradientCase() {
    Set<Class<?>> seen = new HashSet<>();
    GradientCases.all().forEach(c -> opsIn(c.graph(), seen));
    Set<String> exempt =
        Set.of(
            // No operands to differentiate.
            "SourceOp.Constant",
            "SourceOp.VariableRead",
            "SourceOp.Iota",
            // Integer, bool or seed operands, or integer results: no gradient flows.
            "SourceOp.Random",
            "ElementwiseOp.Compare",
            "ReductionOp.ArgReduce",
            "IndexingOp.OneHot",
            // Its rule throws: second-order max pooling is not supported.
            "PoolingOp.MaxPoolBackward",
            // An optimizer's update, applied after the gradients; never differentiated.
            "CompositeOp.AdamUpdate");
    assertEquals(Set.of(), missing(seen, exempt), "ops without a case in GradientCases");
  }
}

package dev.kiln.api.callbacks;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stops training at the first batch whose loss is NaN or infinite, and says which batch. */
public final class TerminateOnNaN extends Callback {
  private static final Logger LOG = LoggerFactory.getLogger(TerminateOnNaN.class);
  private int badBatch = -1;

  @Override
  public void onTrainBatchEnd(int batch, Map<String, Double> logs) {
    Double loss = logs.get("loss");
    if (loss != null && !Double.isFinite(loss)) {
      badBatch = batch;
      LOG.warn("Batch {}: Invalid loss, terminating training", batch);
      System.out.println("Batch " + batch + ": Invalid loss, terminating training");
      model.stopTraining();
    }
  }

  /** The batch whose loss was invalid, or -1. */
  public int terminatedAtBatch() {
    return badBatch;
  }
}

/**
 * JSON Schemas of Keras model configs (one per layer class and the model envelope), with validation
 * errors that name the JSON path. It lands with the config issue.
 */
package dev.kiln.schemas;

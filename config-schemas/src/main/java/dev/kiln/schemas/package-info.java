/**
 * JSON Schemas (draft 2020-12) of Keras configs, published as resources under {@code
 * dev/kiln/schemas/} (one per built-in class of every kind, one per kind, and {@code model.json}
 * for a whole model), and {@link dev.kiln.schemas.ConfigValidator}, whose errors name the JSON
 * path. The api's registry generates the schemas; its test {@code SchemasTest} keeps these files
 * equal to a fresh generation. The schema of {@code kiln train}'s training specs is written by hand
 * and lies apart, under {@code dev/kiln/specs/} ({@link
 * dev.kiln.schemas.ConfigValidator#forTrainingSpecs()}), where regenerating the others leaves it.
 */
package dev.kiln.schemas;

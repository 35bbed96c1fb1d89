package dev.kiln.dsl.data;

import java.io.FileNotFoundException;

/** A dataset's files are in none of the places looked at; the message lists them and says how to get the data. */
public final class DatasetNotFoundException extends FileNotFoundException {
    public DatasetNotFoundException(String message) { super(message); }
}

/**
 * Bundles trained in the examples notebook, kept in this browser (IndexedDB, this site only) so
 * that every other notebook can open them directly — `explore.html?data=stored:KEY` — without a
 * download and a re-upload. The newest few are kept; nothing leaves the machine.
 */

export interface StoredBundle {
  /** Key in the store and in the URL (`data=stored:KEY`). */
  key: string;
  /** The bundle's name (the zip's file name without .zip). */
  name: string;
  /** What a person sees in the picker. */
  title: string;
  /** When it was stored (ISO date-time). */
  created: string;
  /** The zipped bundle. */
  zip: Uint8Array;
}

const DATABASE = "hidden-atlas";
const STORE = "bundles";
/** Bundles kept; storing one more drops the oldest. */
export const STORED_BUNDLES_KEPT = 8;

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new Error("this browser keeps no data for the page (no IndexedDB)"));
      return;
    }
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB could not be opened"));
  });
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB request failed"));
  });
}

/** Every stored bundle, newest first. */
export async function listStoredBundles(): Promise<StoredBundle[]> {
  const db = await open();
  try {
    const all = (await done(db.transaction(STORE).objectStore(STORE).getAll())) as StoredBundle[];
    return all.sort((a, b) => b.created.localeCompare(a.created));
  } finally {
    db.close();
  }
}

/** The stored bundle under `key`, or undefined. */
export async function readStoredBundle(key: string): Promise<StoredBundle | undefined> {
  const db = await open();
  try {
    return (await done(db.transaction(STORE).objectStore(STORE).get(key))) as
      StoredBundle | undefined;
  } finally {
    db.close();
  }
}

/** Keep a bundle (replacing one with the same key); the oldest beyond STORED_BUNDLES_KEPT go. */
export async function storeBundle(bundle: Omit<StoredBundle, "created">): Promise<StoredBundle> {
  const entry: StoredBundle = { ...bundle, created: new Date().toISOString() };
  const older = (await listStoredBundles()).filter((b) => b.key !== entry.key);
  const db = await open();
  try {
    const store = db.transaction(STORE, "readwrite").objectStore(STORE);
    await done(store.put(entry));
    for (const old of older.slice(STORED_BUNDLES_KEPT - 1))
      await done(db.transaction(STORE, "readwrite").objectStore(STORE).delete(old.key));
  } finally {
    db.close();
  }
  return entry;
}

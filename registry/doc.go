// Package registry keeps trained models in a folder, under names, with
// versions that only go up and are never overwritten.
//
// # References
//
// A model is referred to as "name" (its newest version), "name@latest" (the
// same), "name@3" (version 3) or "name@prod" (the version the alias prod
// points to). ParseRef is the one parser of references (the CLI and the SQL
// functions use it). Names hold letters, digits, '_', '-' and
// '.', start with a letter or digit, and are at most 128 bytes: no path
// separators, so a name can never reach outside the folder.
//
// # Aliases
//
// SetAlias("churn@3", "prod") makes "churn@prod" mean churn@3; setting it
// again moves it, RemoveAlias removes it. Aliases start with a letter (so
// that they never read as a version number), follow the name rules
// otherwise, and "latest" is reserved. An alias is one small file,
// NAME/aliases/ALIAS, holding the version number; it is written to a
// temporary file, synced and renamed into place, so a reader sees the old
// version or the new one, and of concurrent moves the last rename wins.
// Deleting a version an alias points to fails (ErrAliased) unless forced,
// which removes those aliases too. An alias that points to a deleted version
// (a deletion racing a move) resolves to an error saying so, never to
// another model. List and Versions fill in Entry.Aliases.
//
// # Where
//
// Open(dir) uses dir; an empty dir means the DENSE_MODELS environment
// variable, or ./models when that is unset. The registry keeps the folder as
// an absolute path, and every error about the folder's contents names it, so
// "unknown model" in a cron job's working directory says where it looked.
// The folder is created on the first Register; a registry whose folder does
// not exist yet lists empty.
//
// # Layout on disk
//
//	models/                          the registry folder
//	  churn/                         one folder per model name
//	    1/                           one folder per version, named in decimal
//	      model.safetensors          the model file (nn.Model.Save format)
//	      entry.json                 the Entry: checksum, size, time, summary
//	    2/
//	      model.safetensors
//	      entry.json
//	    3/
//	      DELETED                    a deleted version keeps its folder
//	    aliases/prod                 an alias: "2\n" (churn@prod is churn@2)
//	    .register-PID-….tmp          a registration in progress (PID: its process)
//
// Other files in a version folder (plots, reports) are left alone.
//
// # How concurrent writers and readers stay safe
//
// Register writes the model to a temporary file in the name's folder and
// fsyncs it. It then claims a version by creating that version's folder with
// mkdir, which succeeds for exactly one caller, in this process or any
// other: two processes registering the same name at once get distinct
// versions, and neither waits for a lock. It writes entry.json into the
// claimed folder, renames the model file in as model.safetensors and fsyncs
// the folders. The rename publishes the version: readers only consider
// versions whose model.safetensors exists, and it only ever exists
// complete. A failure before the claim leaves no trace; a crash after it
// leaves a version folder without a model, which is skipped forever (its
// number is not reused).
//
// Delete("name@3") deletes one version; Delete("name") deletes every
// published version of the model (a registration still in flight publishes
// afterwards, under a higher number). Version numbers are never reused,
// even after Delete: a deleted version's
// folder stays, holding a DELETED marker, so "name@3" can never come to mean
// a different model than it once did.
//
// Load checks the model file against the size and SHA-256 recorded in
// entry.json while it decodes it, and nn checks the digest the model file
// carries in its own header, so a corrupted or swapped file is an error, not
// a silently different model.
//
// # Damaged versions
//
// A published version (one with something named model.safetensors) is
// damaged when its entry.json is missing, unreadable, not a regular file,
// over MaxEntryBytes, not an entry, describes another model or version, or
// lacks the SHA-256 and size; or when its model file is not a regular file
// (a FIFO, a folder, a device, a dangling link). Such a version is never
// loaded unchecked and never skipped silently: List returns the usable
// versions and, separately, the damaged ones with the reason (one broken
// version hides nothing else); Resolve and Load of it fail with an error
// that wraps ErrDamaged and names the folder, also when it is the newest
// version of "name" (no silent fall back to an older model). Delete removes
// it like any version. Only regular files are opened, and entry.json is read
// up to MaxEntryBytes, so a hostile folder cannot hang a listing or fill
// memory.
//
// # Leftovers of crashes
//
// A registration killed before it publishes leaves a temporary file
// (.register-PID-….tmp in the name folder, .entry.json-PID-….tmp in a
// version folder) and possibly a version folder without a model, whose
// number stays used; an alias move killed before its rename leaves
// .ALIAS-PID-….tmp in the aliases folder. Each Register and SetAlias of a
// name first removes that name's temporary files that are older than StaleAge (one hour) and whose process
// (PID) no longer runs on this machine; files of older dense versions (no
// PID in the name) go by age alone. A version folder without a model is left
// as it is (it is skipped, and its number is never reused).
//
// # Errors
//
// Errors start with "registry: " and name the problem: an unknown model
// lists the models there are, an unknown version lists the versions there
// are. Both wrap ErrNotFound; a bad name or reference wraps ErrBadRef.
package registry

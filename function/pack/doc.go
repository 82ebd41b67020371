// Command pack writes the Lambda deployment package, dist/function.zip, from
// a directory holding bootstrap and models/:
//
//	go run ./function/pack -o dist/function.zip dist/lambda
//
// What it promises, whatever the umask or the modes on disk:
//   - every entry is readable by anyone: files 0644, executables (bootstrap,
//     or any file with an exec bit) 0755, directories 0755. Lambda runs the
//     code as an unprivileged user, so a 0600 model file fails every cold
//     start on AWS ("Unable to open ... for reading");
//   - the zip is reproducible: entries sorted by name, one fixed timestamp,
//     no owner or extra fields, so an unchanged build gives byte-identical
//     output and a re-deploy uploads nothing new.
//
// It then reads the zip back and refuses it (exit 1) unless
// internal/lambdazip's Check passes it: modes, Lambda's size quotas, and a
// static bootstrap for -arch (x86_64 by default). `pack -check ZIP...` runs
// only that check; deploy.sh runs it on the zip it uploads.
package main

package apizee_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// List a ticket's media, with the name each would be saved under: ticket
// media have a title and a content type, no file name.
func ExampleMediaService_AllForTicket() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)

	for media, err := range client.Media.AllForTicket(context.Background(), 663614, nil) {
		if err != nil {
			log.Fatal(err) // errors.Is(err, apizee.ErrNotFound) for an unknown ticket
		}
		fmt.Println(media.ID, media.ContentType, media.Title, "->", media.LocalFilename())
	}
	// Output:
	// 1973404 video/mp4 ysExSVPf-2552-477 -> ysExSVPf-2552-477.mp4
	// 1973403 image/jpeg diag_snapshot_1677103206155 -> diag_snapshot_1677103206155.jpg
}

// Save a meeting's recordings into a directory. Open streams the file: the
// copy holds a small buffer whatever the file's size.
func ExampleMediaService_Open() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "recordings-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	for media, err := range client.Media.AllForConference(ctx, 842341, nil) {
		if err != nil {
			log.Fatal(err)
		}
		body, err := client.Media.Open(ctx, media)
		if err != nil {
			log.Fatal(err)
		}
		file, err := os.Create(filepath.Join(dir, media.LocalFilename()))
		if err != nil {
			log.Fatal(err)
		}
		n, err := io.Copy(file, body)
		if err := errors.Join(err, body.Close(), file.Close()); err != nil {
			log.Fatal(err) // a transfer cut short is an error here, never a short file taken for whole
		}
		fmt.Println(filepath.Base(file.Name()), n, "bytes")
	}
	// Output:
	// 0YW553BN-8214-composite.mp4 2270386 bytes
}

// A name to save any media under, whatever the server sent.
func ExampleMedia_LocalFilename() {
	for _, media := range []apizee.Media{
		{ID: 1973404, Title: "ysExSVPf-2552-477", ContentType: "video/mp4"},        // a ticket media
		{ID: 2343988, Filename: "0YW553BN-8214-composite.mp4", MediaType: "video"}, // a conference media
		{ID: 7, Filename: "../../.ssh/authorized_keys"},                            // stays in its directory
		{ID: 8, Title: "CON", ContentType: "image/jpeg"},                           // a Windows device name
		{ID: 9},
	} {
		fmt.Println(media.LocalFilename())
	}
	// Output:
	// ysExSVPf-2552-477.mp4
	// 0YW553BN-8214-composite.mp4
	// ssh_authorized_keys
	// _CON.jpg
	// media-9
}

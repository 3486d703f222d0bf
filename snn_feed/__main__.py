from snn_feed.cli import main

main()

module github.com/equiptrack/release-kit

go 1.26

require github.com/magefile/mage v1.17.2
